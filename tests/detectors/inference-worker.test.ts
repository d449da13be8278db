import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDetector, type Detector } from '../../src/detectors/adapter.js';
import { InferenceWorkerDied, liveInferenceWorkers, openWorkerSession, type ModelSession } from '../../src/detectors/inference-session.js';
import type { DetectorManifest } from '../../src/detectors/manifest.js';
import type { Chw } from '../../src/image/types.js';
import { uniform } from '../../src/util/random.js';
import { tempDir } from '../helpers.js';
import { convManifest, convModel } from './tiny-models.js';

function setup(): { dir: string; manifest: DetectorManifest } {
  const dir = tempDir();
  mkdirSync(join(dir, 'm'));
  writeFileSync(join(dir, 'm/conv.onnx'), convModel());
  return { dir, manifest: convManifest('m/conv.onnx') };
}

/** Seeded random CHW tensors of a few sizes (fresh copies each call: score() takes a lone tensor's buffer). */
function tensors(): Chw[] {
  const rand = uniform(11);
  return [[64, 64], [97, 61], [224, 224], [300, 200]].map(([height, width]) => ({
    channels: 3,
    height,
    width,
    data: Float32Array.from({ length: 3 * height * width }, () => rand() * 2 - 1),
  }));
}

async function scoreEach(detector: Detector): Promise<number[]> {
  const scores: number[] = [];
  for (const t of tensors()) scores.push(...(await detector.score([t])));
  return scores;
}

/** Waits until the worker threads started by this file have exited (exit is asynchronous after terminate). */
async function workersGone(): Promise<number> {
  for (let i = 0; i < 100 && liveInferenceWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return liveInferenceWorkers();
}

describe('inference in a worker thread', () => {
  it('gives the same score bits as onnxruntime on this thread, one by one and in a batch', async () => {
    const { dir, manifest } = setup();
    const inWorker = await loadDetector(manifest, { modelsDir: dir });
    const local = await loadDetector(manifest, { modelsDir: dir, inProcess: true });
    try {
      const [a, b] = [await scoreEach(inWorker), await scoreEach(local)];
      expect(a.every((s) => s > 0 && s < 1)).toBe(true);
      expect(new Set(a).size).toBe(a.length); // distinct inputs, distinct scores: the model is not constant
      expect(a).toEqual(b); // toEqual on numbers is exact (Object.is)
      const batch = () => [tensors()[0], tensors()[0], tensors()[0]];
      expect(await inWorker.score(batch())).toEqual(await local.score(batch()));
    } finally {
      await inWorker.close();
      await local.close();
    }
    expect(await workersGone()).toBe(0);
  });

  it('a lone tensor moves to the worker (its buffer is detached here); a batch is stacked and the caller keeps its tensors', async () => {
    const { dir, manifest } = setup();
    const detector = await loadDetector(manifest, { modelsDir: dir });
    try {
      const [lone, x] = tensors();
      await detector.score([lone]);
      expect(lone.data.length).toBe(0);
      const [a, b] = await detector.score([x, x]);
      expect(a).toBe(b);
      expect(x.data.length).toBe(3 * 97 * 61);
    } finally {
      await detector.close();
    }
  });

  it('ends its thread on close and on a failed load; an inference error fails that request only', async () => {
    const { dir, manifest } = setup();
    const before = liveInferenceWorkers();
    const detector = await loadDetector(manifest, { modelsDir: dir });
    expect(liveInferenceWorkers()).toBe(before + 1);
    await detector.close();
    await detector.close(); // twice is harmless
    expect(await workersGone()).toBe(0);

    // the graph loads, then a manifest check fails: the session is released and its thread ends
    await expect(loadDetector({ ...manifest, model: { ...manifest.model, output: 'logits' } }, { modelsDir: dir })).rejects.toThrow(/model\.output 'logits' is not in the ONNX graph/);
    expect(await workersGone()).toBe(0);
    // onnxruntime refuses the bytes inside the worker: the error comes back, the thread ends
    writeFileSync(join(dir, 'm/conv.onnx'), Buffer.from('not an onnx model at all'));
    await expect(loadDetector(manifest, { modelsDir: dir })).rejects.toThrow(/is not a loadable ONNX model/);
    expect(await workersGone()).toBe(0);

    // an inference error is the request's own; the session goes on
    const session = await openWorkerSession(convModel(), {});
    await expect(session.run('input', 'out', { data: new Float32Array(8), dims: [1, 2, 2, 2] })).rejects.toThrow(/input|channel|dimension/i);
    const ok = await session.run('input', 'out', { data: new Float32Array(3 * 8 * 8), dims: [1, 3, 8, 8] });
    expect(ok.dims).toEqual([1, 1]);
    await session.release();
    expect(await workersGone()).toBe(0);
  });

  it.each([
    ['exit', /^the inference worker thread died \(exit code 7\)$/],
    ['throw', /^the inference worker thread died \(test hook: inference worker crashed\)$/],
  ])('a worker that dies mid-run (%s) fails the requests in flight and every later one, does not hang, and ends', async (how, message) => {
    const input = () => ({ data: new Float32Array(3 * 8 * 8).fill(0.25), dims: [1, 3, 8, 8] });
    process.env.SEMIBENCH_TEST_KILL_INFERENCE_WORKER = `${how}:2`; // read by the worker when it starts
    let session: ModelSession;
    try {
      session = await openWorkerSession(convModel(), {});
    } finally {
      delete process.env.SEMIBENCH_TEST_KILL_INFERENCE_WORKER;
    }
    const first = await session.run('input', 'out', input());
    expect(await session.run('input', 'out', input())).toEqual(first);
    // the third request kills the thread; the fourth is already queued behind it
    const inFlight = [session.run('input', 'out', input()), session.run('input', 'out', input())];
    for (const p of inFlight) {
      const error = await p.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InferenceWorkerDied);
      expect((error as Error).message).toMatch(message);
    }
    await expect(session.run('input', 'out', input())).rejects.toBeInstanceOf(InferenceWorkerDied);
    await session.release();
    expect(await workersGone()).toBe(0);
  });
});
