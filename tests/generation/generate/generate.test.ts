import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InpaintBackend, InpaintRequest } from '../../../src/generation/generate/contracts.js';
import { ClassicalBackend, TELEA_MODEL } from '../../../src/generation/generate/inpaint/classical.js';
import { InpaintFailure } from '../../../src/generation/generate/inpaint/failure.js';
import { authorsMaskPreparer } from '../../../src/generation/generate/inpaint-stage.js';
import { createLabelBackend } from '../../../src/generation/generate/backends.js';
import { generate, planGenerate } from '../../../src/generation/generate/pipeline.js';
import { OfflineLabelBackend } from '../../../src/generation/generate/perturb/offline.js';
import { loadPrompts } from '../../../src/generation/generate/perturb/prompts.js';
import { UserError } from '../../../src/util/errors.js';
import { makeSourceSet } from '../../../tools/make-source-set.js';
import { filesUnder, tempDir } from '../../helpers.js';
import { startOpenAiStub } from './openai-stub.js';

const CLI = resolve('bin/semibench.js');
let dir: string;
let src: string;
let noModels: string;

beforeAll(async () => {
  dir = tempDir('semibench-generate-');
  src = join(dir, 'src');
  noModels = join(dir, 'no-metric-models');
  mkdirSync(noModels);
  await makeSourceSet(src, 2); // 8 usable masks on 4 photos, + one 'NA' and one '1000.0' row
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
/** The CLI without blocking this process (a stub server in it must keep answering). */
const cliAsync = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
// The full gate runs: the source set's photos have natural statistics, so BRISQUE judges them (and most fills) as photos.
const generateArgs = (out: string) => ['generate', '--input', src, '--out', out, '--llm', 'offline', '--inpaint', 'classical', '--seed', '5', '--metrics-dir', noModels];
const csv = (file: string) => parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];

/** generation.json and measure.json without their timings and measure.json's absolute paths (the only bytes that differ between two output folders). */
function withoutTimings(text: string): unknown {
  const { timings_ms: _t, wallMs: _w, file: _f, files: _fs, ...rest } = JSON.parse(text);
  return rest;
}

describe('semibench generate, end to end (offline labels, classical inpainting)', () => {
  const gen = () => join(dir, 'gen');

  it('writes an eval set that `semibench run --detector all` scores row by row, with every slice', () => {
    // fixtures/source (the README's quick start) is this script's output, committed
    expect(readFileSync(join(src, 'metadata.csv'), 'utf8')).toBe(readFileSync('fixtures/source/metadata.csv', 'utf8'));
    const made = cli(generateArgs(gen()));
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toContain('source: 8 masks (skipped: 1 mask_name NA, 1 ratio 1000.0)');
    expect(made.stdout).toContain('assemble: 4 real + 8 fake rows');

    const rows = csv(join(gen(), 'metadata.csv'));
    expect(rows.filter((r) => r.label === 'real')).toHaveLength(4);
    const fakes = rows.filter((r) => r.label === 'fake');
    expect(fakes).toHaveLength(8);
    for (const r of fakes) {
      expect(r.image_path).toBe(`inpainting/${r.dataset}/${r.mask_id}_${r.dataset}_${TELEA_MODEL}.png`);
      expect(existsSync(join(gen(), r.image_path))).toBe(true);
      expect(existsSync(join(gen(), r.mask_path))).toBe(true);
      expect(r.mask_path).toMatch(/^original\/masks\//);
      expect(r).toMatchObject({ method: 'inpainting', model: TELEA_MODEL, language_model: 'offline-wordnet-3.1', target_qual_flag: 'False' });
      expect(['small', 'medium', 'large']).toContain(r.sem_magnitude);
      expect(r.perturbed_mask_name).not.toBe('');
      expect(r.measure_error).toBe('');
      expect(Number(r.area_ratio)).toBeGreaterThan(0);
      expect(r.area_ratio_category3).not.toBe(''); // measured, binned
    }
    for (const r of rows.filter((r) => r.label === 'real')) expect(r.image_path).toMatch(/^original\/images\/(ADE20K|OpenImages)\//);
    const record = JSON.parse(readFileSync(join(gen(), 'generation.json'), 'utf8'));
    expect(record.source).toEqual({ layout: 'authors', rows: 10, used: 8, skipped: { 'mask_name NA': 1, 'ratio 1000.0': 1 } });
    expect(record.stages.perturb).toMatchObject({ items: 8, ok: 8, failed: 0 });
    expect(record.stages.inpaint).toMatchObject({ items: 8, ok: 8, failed: 0 });
    expect(record.stages.measure).toMatchObject({ rows: 12, pairs: 8 });
    // BRISQUE ran on both images of every pair; the source photos score like photos, well inside the gate
    for (const r of fakes) expect(Number(r.brisque_score_orig), r.image_path).toBeLessThan(50);
    expect(fakes.filter((r) => r.pass_qc === '1').length).toBeGreaterThanOrEqual(6);
    expect(record.stages.measure.qc.rules[0]).toMatchObject({ metric: 'brisque_score_perturb', applied: 8, status: 'applied' });
    // The edits each QC rule removed (BRISQUE only: no CLIP model here).
    const outside = fakes.filter((r) => !(Number(r.brisque_score_perturb) >= 0 && Number(r.brisque_score_perturb) <= 70)).length;
    const byRule = { brisque_score_perturb: outside, cap2_img2: 0, img1_img2: 0, direct_sim: 0, measure_error: 0 };
    expect(record.stages.measure.qc.removed).toEqual({ byRule, total: fakes.filter((r) => r.pass_qc === '0').length });
    expect(record.prompts.sha256).toBe(loadPrompts().sha256);
    expect(record.backends).toEqual({ llm: { name: 'offline', language_model: 'offline-wordnet-3.1' }, inpaint: { name: 'classical' } });

    const run = join(dir, 'run');
    const scored = cli(['run', '--detector', 'all', '--data', gen(), '--out', run]);
    expect(scored.status, scored.stderr).toBe(0);
    const predictions = csv(join(run, 'predictions.csv'));
    const detectors = [...new Set(predictions.map((p) => p.detector))];
    expect(detectors.length).toBeGreaterThan(0);
    for (const detector of detectors) {
      const mine = predictions.filter((p) => p.detector === detector);
      expect(mine).toHaveLength(12);
      expect(mine.every((p) => p.error === '' || p.error === undefined)).toBe(true);
    }
    for (const slice of ['method', 'model', 'sem_magnitude', 'area_ratio']) {
      const table = csv(join(run, 'slices', `${slice}.csv`));
      expect(table.length, slice).toBeGreaterThan(0);
    }
    expect(csv(join(run, 'slices', 'model.csv')).some((r) => Object.values(r).includes(TELEA_MODEL))).toBe(true);
  }, 120_000);

  it('resumes after kill -9 without redoing finished items, and the same seed gives a byte-identical eval set', async () => {
    const again = join(dir, 'gen-killed');
    // Kill the first run as soon as inpainting has made some progress.
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [CLI, ...generateArgs(again)], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let seen = '';
      child.stderr.on('data', (chunk) => {
        seen += chunk;
        if (/inpaint \(classical\): [1-6]\/8/.test(seen)) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`not killed (exit ${code}): ${seen}`))));
    });
    expect(existsSync(join(again, 'metadata.csv'))).toBe(false);
    const perturbedBefore = readFileSync(join(again, '.semibench-generate/perturb.jsonl'), 'utf8');
    const resumed = cli(generateArgs(again));
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/perturb: 8\/8 ok, 0 failed \(8 done earlier\)/);
    expect(resumed.stdout).toMatch(/inpaint: 8\/8 ok, 0 failed \([1-7] done earlier\)/);
    // Nothing finished was redone: each log holds each item once.
    expect(readFileSync(join(again, '.semibench-generate/perturb.jsonl'), 'utf8')).toBe(perturbedBefore);
    expect(readFileSync(join(again, '.semibench-generate/inpaint.jsonl'), 'utf8').trim().split('\n')).toHaveLength(8);

    const a = filesUnder(gen());
    const b = filesUnder(again);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [path, bytes] of a) {
      if (path === 'generation.json' || path === 'measure.json') {
        expect(withoutTimings(b.get(path)!.toString()), path).toEqual(withoutTimings(bytes.toString()));
      } else if (!path.startsWith('.semibench-generate')) {
        expect(b.get(path)!.equals(bytes), path).toBe(true);
      }
    }
  }, 120_000);

  it('--plan prints the counts per stage and writes nothing', () => {
    const out = join(dir, 'planned');
    const planned = cli([...generateArgs(out), '--plan', '--limit', '3']);
    expect(planned.status, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('3 masks used (--limit 3), skipped: 1 mask_name NA, 1 ratio 1000.0');
    expect(planned.stdout).toContain('perturb: 3 masks to label, 0 already done');
    expect(planned.stdout).toContain('label backend offline (offline-wordnet-3.1); inpainting classical, models Telea_FMM');
    expect(existsSync(out)).toBe(false);
    const done = cli([...generateArgs(gen()), '--plan']);
    expect(done.stdout).toContain('perturb: 0 masks to label, 8 already done');
    expect(done.stdout).toContain('inpaint: up to 0 images to make (8 already done');
  });

  it('refuses to resume with other settings, in one line', () => {
    const other = cli(generateArgs(gen()).map((a) => (a === '5' ? '6' : a)));
    expect(other.status).toBe(2);
    expect(other.stderr.trim()).toBe(`semibench: This output folder was generated with seed = 5, not 6: use the same settings to resume, or another --out.`);
  });
});

/** An inpainter whose answer depends on the mask: good, not a PNG, wrong size, blank, or a timeout. */
class ScriptedInpainter implements InpaintBackend {
  readonly name = 'scripted';
  readonly models = ['Scripted'];
  calls = 0;
  constructor(private readonly broken: boolean) {}
  async probe(): Promise<void> {}
  async inpaint(request: InpaintRequest): Promise<Buffer> {
    this.calls++;
    const good = () => new ClassicalBackend().inpaint({ ...request, model: TELEA_MODEL });
    if (!this.broken) return good();
    const kind = (request.prompt.length + request.seed) % 5;
    if (kind === 0) return sharp({ create: { width: request.width, height: request.height, channels: 3, background: 'red' } }).jpeg().toBuffer();
    if (kind === 1) return sharp(await good()).resize(request.width + 1, request.height).png().toBuffer();
    if (kind === 2) return sharp({ create: { width: request.width, height: request.height, channels: 3, background: 'black' } }).png().toBuffer();
    if (kind === 3) throw new InpaintFailure('timeout', 'no answer in 1 ms', { retryable: true });
    return good();
  }
}

describe('generate from a plain folder of photos and masks', () => {
  it('uses file names for ids and labels, and leaves out a label flagged at the last retry (filter_labels)', async () => {
    const folder = join(dir, 'folder-src');
    mkdirSync(join(folder, 'images'), { recursive: true });
    mkdirSync(join(folder, 'masks'), { recursive: true });
    copyFileSync(join(src, 'images/ADE20K/ADE_train_00000001.jpg'), join(folder, 'images/street.jpg'));
    copyFileSync(join(src, 'masks/ADE20K/instance_000_ADE_train_00000001.png'), join(folder, 'masks/street_parked_car.png'));
    copyFileSync(join(src, 'masks/ADE20K/instance_001_ADE_train_00000001.png'), join(folder, 'masks/street_tree.png'));
    const stub = await startOpenAiStub({ model: 'm', labels: ['parked car', 'tree'], script: { 'parked car': ['red parked car'], tree: ['tree', 'tree', 'oak'] } });
    try {
      const out = join(dir, 'folder-out');
      const prompts = loadPrompts();
      const result = await generate({
        input: folder, out, labels: createLabelBackend(stub.url, 'm', prompts), inpainter: new ClassicalBackend(), models: [TELEA_MODEL],
        prepareMask: authorsMaskPreparer, prompts, seed: 1, concurrency: 2, metricsDir: noModels, noLearned: true,
      });
      expect(result.source).toMatchObject({ layout: 'folder', used: 2 });
      expect(result.perturb).toMatchObject({ ok: 2, failed: 0 });
      expect(result.inpaint).toMatchObject({ items: 1, ok: 1, qualFlagged: 1 });
      const rows = csv(join(out, 'metadata.csv'));
      expect(rows.map((r) => [r.label, r.image_id, r.image_path, r.mask_name, r.perturbed_mask_name, r.dataset])).toEqual([
        ['real', 'street', 'original/images/custom/street.jpg', '', '', 'custom'],
        ['fake', 'street', `inpainting/custom/street_parked_car_custom_${TELEA_MODEL}.png`, 'parked car', 'red parked car', 'custom'],
      ]);
    } finally {
      await stub.close();
    }
  }, 60_000);
});

describe('generate: bad inpainting answers are failed rows with their reason', () => {
  it('counts each reason, keeps none of them, and redoes only the retryable ones on the next run', async () => {
    const out = join(dir, 'scripted');
    const options = {
      input: src, out, labels: new OfflineLabelBackend(loadPrompts()), models: ['Scripted'], prepareMask: authorsMaskPreparer,
      prompts: loadPrompts(), seed: 3, concurrency: 2, metricsDir: noModels, noLearned: true,
    };
    const broken = new ScriptedInpainter(true);
    const first = await generate({ ...options, inpainter: broken });
    const failures = first.inpaint!.failures;
    const failed = Object.values(failures).reduce((a, b) => a + b, 0);
    expect(first.inpaint!.failed).toBe(failed);
    expect(first.inpaint!.ok + failed).toBe(8);
    for (const reason of Object.keys(failures)) {
      expect(['bad answer: not a PNG', 'bad answer: wrong size', 'bad answer: blank image', 'inpaint failed: timeout']).toContain(reason);
    }
    expect(failed).toBeGreaterThan(0);
    expect(first.assemble!.fake).toBe(first.inpaint!.ok);
    expect(csv(join(out, 'metadata.csv')).filter((r) => r.label === 'fake')).toHaveLength(first.inpaint!.ok);
    const record = JSON.parse(readFileSync(join(out, 'generation.json'), 'utf8'));
    expect(record.stages.inpaint.failures).toEqual(failures);

    const fixed = new ScriptedInpainter(false);
    const second = await generate({ ...options, inpainter: fixed });
    expect(fixed.calls).toBe(failures['inpaint failed: timeout'] ?? 0);
    expect(second.inpaint!.ok).toBe(first.inpaint!.ok + fixed.calls);
  }, 60_000);

  it('with an OpenAI-compatible server: its labels and model name reach the eval set, every attempt is in the side log', async () => {
    const labels = ['car', 'tree', 'dog', 'chair', 'bicycle'];
    const stub = await startOpenAiStub({ model: 'llava-stub', labels, script: Object.fromEntries(labels.map((l) => [l, [`Answer: ${l} painted red`]])) });
    try {
      const out = join(dir, 'with-llm');
      const made = await cliAsync(['generate', '--input', src, '--out', out, '--llm', stub.url, '--llm-model', 'llava-stub', '--metrics-dir', noModels, '--limit', '4', 'perturb']);
      expect(made.status, made.stderr).toBe(0);
      expect(made.stdout).toContain('perturb: 4/4 ok, 0 failed');
      expect(stub.problems).toEqual([]);
      const assembled = await cliAsync(['generate', '--input', src, '--out', out, '--llm', stub.url, '--llm-model', 'llava-stub', '--metrics-dir', noModels, '--limit', '4']);
      expect(assembled.status, assembled.stderr).toBe(0);
      expect(stub.requests).toHaveLength(4); // the labels were not asked again
      const fakes = csv(join(out, 'metadata.csv')).filter((r) => r.label === 'fake');
      expect(fakes).toHaveLength(4);
      for (const r of fakes) expect([r.language_model, r.perturbed_mask_name]).toEqual(['llava-stub', `${r.mask_name} painted red`]);
      const log = readFileSync(join(out, '.semibench-generate/llm-requests.jsonl'), 'utf8').trim().split('\n');
      expect(log).toHaveLength(4);
      const record = JSON.parse(readFileSync(join(out, 'generation.json'), 'utf8'));
      expect(record.backends.llm).toEqual({ name: 'openai', language_model: 'llava-stub', url: `${stub.url}/` });
      // A stage alone needs no backend flags, and never relabels what the earlier stages made.
      const alone = cli(['generate', 'assemble', '--input', src, '--out', out, '--limit', '4']);
      expect(alone.status, alone.stderr).toBe(0);
      expect(csv(join(out, 'metadata.csv')).filter((r) => r.label === 'fake').map((r) => r.language_model)).toEqual(Array(4).fill('llava-stub'));
      expect(JSON.parse(readFileSync(join(out, 'generation.json'), 'utf8')).backends).toEqual(record.backends);
      const nothing = cli(['generate', 'assemble', '--input', src, '--out', join(dir, 'empty-out')]);
      expect(nothing.stderr.trim()).toMatch(/^semibench: Nothing has been generated in .*empty-out yet: run the perturb and inpaint stages first/);
    } finally {
      await stub.close();
    }
  }, 60_000);

  it('a server that does not answer the probe stops the run in one line and leaves nothing behind', () => {
    const out = join(dir, 'no-server');
    const failed = cli(['generate', '--input', src, '--out', out, '--inpaint', 'a1111:http://127.0.0.1:1', '--models', 'StableDiffusion_v5']);
    expect(failed.status).toBe(2);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^semibench: a1111: cannot reach http:\/\/127.0.0.1:1\//);
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown model for the backend is a UserError before any work', async () => {
    const out = join(dir, 'unknown-model');
    await expect(
      generate({ input: src, out, labels: new OfflineLabelBackend(loadPrompts()), inpainter: new ClassicalBackend(), models: ['StableDiffusion_XL'], prepareMask: authorsMaskPreparer, prompts: loadPrompts(), seed: 1, concurrency: 1, metricsDir: noModels }),
    ).rejects.toThrow(UserError);
    expect(existsSync(out)).toBe(false);
    expect((await planGenerate({ input: src, out, labels: new OfflineLabelBackend(loadPrompts()), inpainter: new ClassicalBackend(), models: [TELEA_MODEL], seed: 1 })).length).toBeGreaterThan(3);
  });
});
