import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captionStage, photosOf, type CaptionEntry } from '../../../src/generation/generate/caption-stage.js';
import { createCaptionBackend, loadCaptionPrompts } from '../../../src/generation/generate/caption/index.js';
import { OfflineCaptionBackend, photoObjects } from '../../../src/generation/generate/caption/offline.js';
import { invalidCaptionReason } from '../../../src/generation/generate/caption/verify.js';
import type { SourceMask, SourcePhoto } from '../../../src/generation/generate/contracts.js';
import { editItems } from '../../../src/generation/generate/edit-stage.js';
import { loadPrompts } from '../../../src/generation/generate/perturb/prompts.js';
import { JsonlLog, SideLog } from '../../../src/generation/generate/state.js';
import { UserError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers.js';
import { startOpenAiStub, type OpenAiStub } from './openai-stub.js';

// generous: nothing here tests timeouts, and the test machine may be loaded
const HTTP = { timeoutMs: 10_000, retries: 1, backoffMs: 10 };
const IMAGE = 'fixtures/source/images/ADE20K/ADE_train_00000001.jpg';
let dir: string;
const stubs: OpenAiStub[] = [];

const mask = (over: Partial<SourceMask>): SourceMask => ({
  imageId: 'img1', imagePath: IMAGE, imageRelPath: '', dataset: 'ADE20K', entities: "['car', 'tree']", className: "['car']",
  maskId: 'm1', maskPath: '', maskRelPath: '', maskName: 'car', ratio: '', ...over,
});
const photo = (...masks: SourceMask[]): SourcePhoto => ({ imageId: masks[0].imageId, masks });

beforeAll(() => {
  dir = tempDir('semibench-caption-');
});
afterAll(async () => {
  for (const stub of stubs) await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('offline captions (entities / class / mask labels, WordNet edits)', () => {
  const backend = new OfflineCaptionBackend(loadCaptionPrompts(), loadPrompts());
  const image = readFileSync(IMAGE);

  it('captions from the entities list, else the class list, else the mask labels', async () => {
    expect(photoObjects(photo(mask({})))).toEqual(['car', 'tree']);
    expect(photoObjects(photo(mask({ entities: '[]' })))).toEqual(['car']);
    expect(photoObjects(photo(mask({ entities: '', className: '', maskName: 'traffic_light2' }), mask({ entities: '', className: '', maskName: 'apple' })))).toEqual(['traffic light', 'apple']);
    expect(await backend.caption({ photo: photo(mask({})), image, seed: 1 })).toEqual({ ok: true, caption: 'a photo of a car and a tree', attempts: 1 });
    expect(await backend.caption({ photo: photo(mask({ entities: "['apple', 'trees', 'cup']" })), image, seed: 1 })).toMatchObject({ caption: 'a photo of an apple, trees and a cup' });
    expect(await backend.caption({ photo: photo(mask({ entities: '', className: '', maskName: '' })), image, seed: 1 })).toMatchObject({ ok: false, attempts: 0 });
    expect(backend).toMatchObject({ name: 'offline', captionModel: 'offline-entities', languageModel: 'offline-wordnet-3.1' });
  });

  it('edits one object of the caption by the asked magnitude, deterministically, and passes the caption checks', async () => {
    const caption = 'a photo of a car and a tree';
    const edits = new Map<string, string>();
    for (const magnitude of ['small', 'medium', 'large'] as const) {
      for (const seed of [1, 2, 3]) {
        const result = await backend.perturbCaption({ photo: photo(mask({})), image, seed, caption, magnitude });
        expect(result.ok, magnitude).toBe(true);
        if (!result.ok) continue;
        expect(invalidCaptionReason(result.label, 30, caption)).toBeUndefined();
        // the rest of the caption stays; one of its objects is replaced
        expect(result.label.startsWith('a photo of ')).toBe(true);
        expect(result.label).not.toBe(caption);
        expect(result.label.includes('a car') || result.label.includes('a tree')).toBe(true);
        if (magnitude === 'small') expect(result.label).toMatch(/^a photo of (an? .+ car and a tree|a car and an? .+ tree)$/);
        const again = await backend.perturbCaption({ photo: photo(mask({})), image, seed, caption, magnitude });
        expect(again).toEqual(result);
        edits.set(`${magnitude}${seed}`, result.label);
      }
    }
    expect(new Set(edits.values()).size).toBeGreaterThan(3);
  });

  it('the caption checks: the label rules with a caption-sized word limit', () => {
    expect(invalidCaptionReason('', 30)).toBe('empty');
    expect(invalidCaptionReason(Array(31).fill('w').join(' '), 30)).toBe('more than 30 words');
    expect(invalidCaptionReason('x'.repeat(201), 30)).toBe('over 200 characters');
    expect(invalidCaptionReason('add a dog', 30)).toBe('starts with "add"');
    expect(invalidCaptionReason('a: b', 30)).toBe('contains ":"');
    expect(invalidCaptionReason('A photo of a car', 30, 'a photo of a car ')).toBe('equals the original caption');
    expect(invalidCaptionReason('a photo of a red car', 30, 'a photo of a car')).toBeUndefined();
  });
});

describe('captions from an OpenAI-compatible server (stub)', () => {
  it('captions and edits the caption with the published request shape; retries invalid edits and flags the last-attempt one', async () => {
    // The stub tells the two requests apart by "the photo " (caption prompt) and "the caption " (edit prompt).
    const stub = await startOpenAiStub({
      model: 'stub-vlm',
      labels: ['caption', 'photo'],
      script: { photo: ['Caption: "A red car parked by a tree."'], caption: ['A red car parked by a tree.', 'add a dog', 'A blue car parked by a tree.'] },
    });
    stubs.push(stub);
    const side = new SideLog(join(dir, 'llm-requests.jsonl'));
    const log = new JsonlLog<CaptionEntry>(join(dir, 'caption.jsonl'));
    try {
      const backend = createCaptionBackend(stub.url, 'stub-vlm', loadCaptionPrompts(), loadPrompts(), (e) => side.write(e), HTTP);
      await backend.probe();
      const photos = photosOf([mask({})]);
      const counts = await captionStage({ photos, backend, log, seed: 3, concurrency: 1 });
      expect(stub.problems).toEqual([]);
      expect(counts).toMatchObject({ items: 1, ok: 1, failed: 0 });
      expect(log.entries.get('img1')).toMatchObject({
        ok: true, caption_model: 'stub-vlm', language_model: 'stub-vlm', original_caption: 'A red car parked by a tree.',
        perturbed_caption: 'A blue car parked by a tree.', attempts: 3, target_qual_flag: true,
      });
      expect(['small', 'medium', 'large']).toContain(log.entries.get('img1')!.magnitude);
      expect(stub.requests).toHaveLength(4);
      expect(stub.requests.every((r) => r.image.equals(readFileSync(IMAGE)))).toBe(true);
      const edit = stub.requests[1].prompt;
      expect(edit).toContain('Using the definitions of small, medium, and large semantic changes above,');
      expect(edit).toContain('"A red car parked by a tree."');
      expect(edit).toContain(`a ${log.entries.get('img1')!.magnitude} semantic change`);
    } finally {
      side.close();
      log.close();
    }
    const lines = readFileSync(join(dir, 'llm-requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.image_id, l.step, l.attempt])).toEqual([['img1', 'caption', 1], ['img1', 'caption edit', 1], ['img1', 'caption edit', 2], ['img1', 'caption edit', 3]]);
  });

  it('a failing server leaves a retryable failure that the next run redoes; an unreachable one is a one-line UserError', async () => {
    const stub = await startOpenAiStub({ model: 'stub-vlm', labels: ['caption', 'photo'], script: { photo: [{ status: 500 }, 'a car by a tree'], caption: ['a bus by a tree'] } });
    stubs.push(stub);
    const backend = createCaptionBackend(stub.url, 'stub-vlm', loadCaptionPrompts(), loadPrompts(), undefined, { ...HTTP, retries: 0 });
    const log = new JsonlLog<CaptionEntry>(join(dir, 'caption-fail.jsonl'));
    try {
      const photos = photosOf([mask({})]);
      await captionStage({ photos, backend, log, seed: 3, concurrency: 1 });
      expect(log.entries.get('img1')).toMatchObject({ ok: false, reason: 'LLM request failed: HTTP 500', retryable: true });
      const again = await captionStage({ photos, backend, log, seed: 3, concurrency: 1 });
      expect(again).toMatchObject({ alreadyDone: 0, ok: 1 });
      expect(log.entries.get('img1')).toMatchObject({ ok: true, original_caption: 'a car by a tree', perturbed_caption: 'a bus by a tree' });
      expect((await captionStage({ photos, backend, log, seed: 3, concurrency: 1 })).alreadyDone).toBe(1);
    } finally {
      log.close();
    }
    const closed = createCaptionBackend('http://127.0.0.1:9', 'stub-vlm', loadCaptionPrompts(), loadPrompts(), undefined, HTTP);
    await expect(closed.probe()).rejects.toThrow(UserError);
    expect(() => createCaptionBackend('llava', undefined, loadCaptionPrompts(), loadPrompts())).toThrow(/--llm must be 'offline' or an http/);
  });
});

describe('which edited captions are edited', () => {
  it('every kept caption edit once per model; one flagged at the last attempt is left out and counted, a failed one skipped', () => {
    const log = new JsonlLog<CaptionEntry>(join(dir, 'items.jsonl'));
    try {
      const base = { magnitude: 'small' as const, seed: 1, caption_model: 'c', language_model: 'l', attempts: 1, original_caption: 'a photo of a car' };
      log.append([
        { ...base, key: 'a', ok: true, perturbed_caption: 'a photo of a red car', target_qual_flag: false },
        { ...base, key: 'b', ok: true, perturbed_caption: 'a photo of a bus', target_qual_flag: true, attempts: 3 },
        { ...base, key: 'c', ok: false, reason: 'invalid caption edit after 3 attempts: empty', attempts: 3 },
      ]);
      const photos = ['a', 'b', 'c', 'd'].map((id) => photo(mask({ imageId: id })));
      const { items, qualFlagged } = editItems(photos, log, ['M1', 'M2']);
      expect(items.map((i) => [i.photo.imageId, i.model, i.sourceCaption, i.editedCaption])).toEqual([
        ['a', 'M1', 'a photo of a car', 'a photo of a red car'],
        ['a', 'M2', 'a photo of a car', 'a photo of a red car'],
      ]);
      expect(qualFlagged).toBe(1);
    } finally {
      log.close();
    }
  });
});
