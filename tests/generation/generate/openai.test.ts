import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceMask } from '../../../src/generation/generate/contracts.js';
import { createLabelBackend } from '../../../src/generation/generate/backends.js';
import { perturbStage, type PerturbEntry } from '../../../src/generation/generate/perturb-stage.js';
import { API_KEY_ENV } from '../../../src/generation/generate/perturb/openai.js';
import { loadPrompts } from '../../../src/generation/generate/perturb/prompts.js';
import { JsonlLog, SideLog } from '../../../src/generation/generate/state.js';
import { UserError } from '../../../src/util/errors.js';
import { makeSourceSet } from '../../../tools/make-source-set.js';
import { tempDir } from '../../helpers.js';
import { startOpenAiStub, type OpenAiStub, type StubAnswer } from './openai-stub.js';

const SCRIPT: Record<string, StubAnswer[]> = {
  car: ['red car'],
  sofa: ['a very long answer that has far more than eight words in it'],
  lamp: ['Adding a shade to the lamp', 'lamp with a green shade'],
  cup: ['Answer: mug'],
  shelf: ['a: b: c'],
  boat: [{ status: 503 }, 'canoe'],
  kite: [{ status: 500 }],
  desk: [{ status: 400 }],
  bench: ['hang'],
  vase: ['vase', 'Add flowers', 'jug'],
};
const KEY = 'sk-test-secret-0123456789';
// Requests the stub answers get a timeout no loaded machine reaches; the timeout itself is tested on 'bench',
// whose request the stub never answers, so its short timeout races nothing.
const HTTP = { timeoutMs: 30_000, retries: 1, backoffMs: 10 };
const HTTP_NEVER_ANSWERED = { ...HTTP, timeoutMs: 300 };

let dir: string;
let stub: OpenAiStub;
let masks: SourceMask[];
let photo: Buffer;

beforeAll(async () => {
  dir = tempDir('semibench-openai-');
  await makeSourceSet(join(dir, 'src'), 1);
  const imagePath = join(dir, 'src/images/ADE20K/ADE_train_00000001.jpg');
  photo = readFileSync(imagePath);
  masks = Object.keys(SCRIPT).map((label, k) => ({
    imageId: 'ADE_train_00000001', imagePath, imageRelPath: 'images/ADE20K/ADE_train_00000001.jpg', dataset: 'ADE20K', entities: '', className: '',
    maskId: `m${k}_${label}`, maskPath: '', maskRelPath: '', maskName: label, ratio: '',
  }));
  stub = await startOpenAiStub({ model: 'stub-llava', script: SCRIPT, labels: Object.keys(SCRIPT) });
});
afterAll(async () => {
  await stub?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenAI-compatible label backend against a local stub', () => {
  it('labels every mask or records why not; requests have the published shape, the key never reaches a file', async () => {
    process.env[API_KEY_ENV] = KEY;
    const out = join(dir, 'out');
    const side = new SideLog(join(out, 'llm-requests.jsonl'));
    const log = new JsonlLog<PerturbEntry>(join(out, 'perturb.jsonl'));
    try {
      const backend = createLabelBackend(stub.url + '/v1/', 'stub-llava', loadPrompts(), (e) => side.write(e), HTTP);
      await backend.probe();
      const answered = masks.filter((m) => m.maskName !== 'bench');
      const counts = await perturbStage({ masks: answered, backend, log, seed: 7, concurrency: 3 });
      const hanging = createLabelBackend(stub.url + '/v1/', 'stub-llava', loadPrompts(), (e) => side.write(e), HTTP_NEVER_ANSWERED);
      const hangCounts = await perturbStage({ masks: masks.filter((m) => m.maskName === 'bench'), backend: hanging, log, seed: 7, concurrency: 3 });
      expect(stub.problems).toEqual([]);
      const byLabel = Object.fromEntries(masks.map((m) => [m.maskName, log.entries.get(m.maskId)!]));
      expect(byLabel.car).toMatchObject({ ok: true, label: 'red car', attempts: 1, target_qual_flag: false, language_model: 'stub-llava' });
      expect(byLabel.lamp).toMatchObject({ ok: true, label: 'lamp with a green shade', attempts: 2, target_qual_flag: false });
      expect(byLabel.cup).toMatchObject({ ok: true, label: 'mug', attempts: 1 });
      expect(byLabel.boat).toMatchObject({ ok: true, label: 'canoe', attempts: 1 }); // the 503 was retried by HTTP
      expect(byLabel.vase).toMatchObject({ ok: true, label: 'jug', attempts: 3, target_qual_flag: true });
      expect(byLabel.sofa).toMatchObject({ ok: false, reason: 'invalid label after 3 attempts: more than 8 words', attempts: 3 });
      expect(byLabel.shelf).toMatchObject({ ok: false, reason: 'invalid label after 3 attempts: contains ":"' });
      expect(byLabel.kite).toMatchObject({ ok: false, reason: 'LLM request failed: HTTP 500', retryable: true });
      expect(byLabel.desk).toMatchObject({ ok: false, reason: 'LLM request failed: HTTP 400', retryable: true });
      expect(byLabel.bench).toMatchObject({ ok: false, reason: 'LLM request failed: timeout', retryable: true });
      expect(stub.attempts.get('kite')).toBe(2); // first try + HTTP.retries
      expect(stub.attempts.get('desk')).toBe(1); // a 4xx is not retried
      expect(counts).toMatchObject({ items: 9, ok: 5, failed: 4 });
      expect(counts.failures).toEqual({
        'invalid label after 3 attempts: more than 8 words': 1,
        'invalid label after 3 attempts: contains ":"': 1,
        'LLM request failed: HTTP 500': 1,
        'LLM request failed: HTTP 400': 1,
      });
      expect(hangCounts).toMatchObject({ items: 1, ok: 0, failed: 1, failures: { 'LLM request failed: timeout': 1 } });
      // The photo travelled whole; the key went in the header only.
      expect(stub.requests.every((r) => r.image.equals(photo) && r.authorization === `Bearer ${KEY}`)).toBe(true);
      expect(stub.requests[0].prompt).toContain('Using the definitions of small, medium, and large semantic changes above,');
    } finally {
      side.close();
      log.close();
      delete process.env[API_KEY_ENV];
    }
    const lines = readFileSync(join(out, 'llm-requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // One line per attempt (HTTP retries inside an attempt are not separate lines): 1+3+2+1+3+1+3 answered, 3 failed requests.
    expect(lines.length).toBe(17);
    expect(lines.filter((l) => l.error).map((l) => l.error).sort()).toEqual([
      'HTTP 400: {"error":{"message":"stub failure"}}',
      'HTTP 500: {"error":{"message":"stub failure"}} (after 2 tries)',
      'no answer in 300 ms (after 2 tries)',
    ]);
    const car = lines.find((l) => l.mask_id === 'm0_car');
    expect(car.response.choices[0].message.content).toBe('red car');
    expect(car.request.messages[0].content[1].image_url.url).toMatch(/^<image\/jpeg base64, \d+ bytes, sha256 [0-9a-f]{64}>$/);
    for (const file of readdirSync(out)) {
      if (statSync(join(out, file)).isFile()) expect(readFileSync(join(out, file), 'utf8')).not.toContain(KEY);
    }
  });

  it('draws the prompt type from the item seed: the same seed asks the same questions', async () => {
    const backend = createLabelBackend(stub.url, 'stub-llava', loadPrompts(), undefined, HTTP);
    const ask = async (seed: number) => {
      const before = stub.requests.length;
      await backend.perturb({ mask: masks[1], magnitude: 'medium', seed, image: photo });
      return stub.requests.slice(before).map((r) => r.prompt.includes('what is something of a similar size') ? 'replace' : 'aug');
    };
    const first = await ask(11);
    expect(first).toHaveLength(3);
    expect(await ask(11)).toEqual(first);
  });

  it('probes once: an unreachable server or a model it does not serve is a one-line UserError', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const unreachable = createLabelBackend(`http://127.0.0.1:${port}`, 'stub-llava', loadPrompts());
    const error = await unreachable.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(new RegExp(`^The LLM server at http://127.0.0.1:${port}/v1/models is unreachable \\(.*\\)\\.$`));
    expect((error as Error).message).not.toContain('\n');
    const wrongModel = createLabelBackend(stub.url, 'llava-13b', loadPrompts());
    await expect(wrongModel.probe()).rejects.toThrow(`does not serve 'llava-13b' (it serves: stub-llava); pass --llm-model NAME.`);
    expect(() => createLabelBackend(stub.url, undefined, loadPrompts())).toThrow(/needs --llm-model NAME/);
    expect(() => createLabelBackend('llava', undefined, loadPrompts())).toThrow(/--llm must be 'offline' or an http\(s\) URL/);
  });
});
