import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/load.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { loadDetector, loadOptions, type Detector } from '../../src/detectors/adapter.js';
import { inferencePlan, liveInferenceWorkers, sessionOptions } from '../../src/detectors/inference-session.js';
import { scoreIdentity } from '../../src/runner/identity.js';
import { uniform } from '../../src/util/random.js';
import { tempDir } from '../helpers.js';
import { convManifest, convModel } from './tiny-models.js';

const manifest = convManifest('conv.onnx');

async function scores(detector: Detector): Promise<number[]> {
  const rand = uniform(5);
  const out: number[] = [];
  for (const size of [32, 224, 301]) {
    const data = Float32Array.from({ length: 3 * size * size }, () => rand() * 2 - 1);
    out.push(...(await detector.score([{ channels: 3, height: size, width: size, data }])));
  }
  return out;
}

describe('onnxruntime session options', () => {
  it('are config keys and flags, checked by the schema', () => {
    expect(() => checkConfig({ intraOpThreads: 2, interOpThreads: 0, graphOptimization: 'basic' }, 'bench.config.ts')).not.toThrow();
    expect(() => checkConfig({ intraOpThreads: -1 }, 'command line')).toThrow('--intra-op-threads: must be an integer ≥ 0 (got number -1)');
    expect(() => checkConfig({ interOpThreads: 1.5 }, 'bench.config.ts')).toThrow('bench.config.ts: interOpThreads: must be an integer ≥ 0 (got number 1.5)');
    expect(() => checkConfig({ graphOptimization: 'max' as never }, 'command line')).toThrow(
      `--graph-optimization: must be one of 'disabled', 'basic', 'extended', 'all' (got string "max")`,
    );
    expect(loadOptions({ ...DEFAULTS, intraOpThreads: 3, graphOptimization: 'extended' })).toMatchObject({ intraOpThreads: 3, graphOptimization: 'extended', device: 'cpu' });
    expect(() => checkConfig({ inferenceWorkers: 3, spinning: true }, 'bench.config.ts')).not.toThrow();
    expect(() => checkConfig({ inferenceWorkers: -2 }, 'command line')).toThrow('--inference-workers: must be an integer ≥ 0 (got number -2)');
    expect(() => checkConfig({ spinning: 'no' as never }, 'bench.config.ts')).toThrow('bench.config.ts: spinning: must be true or false (got string "no")');
    expect(loadOptions({ ...DEFAULTS, inferenceWorkers: 3, spinning: true })).toMatchObject({ workers: 3, spinning: true });
    expect(loadOptions(DEFAULTS)).toMatchObject({ workers: 0, spinning: false });
  });

  it('spinning off becomes onnxruntime session config entries; on (or absent) leaves onnxruntime its own', () => {
    expect(sessionOptions({ spinning: false }).extra).toEqual({ session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
    expect(sessionOptions({ spinning: true }).extra).toBeUndefined();
    expect(sessionOptions({}).extra).toBeUndefined();
  });

  it('the inference plan: 2 workers sharing the cores from 2 cores up, 1 on one core and on CUDA; given values stay', () => {
    expect(inferencePlan({}, 1)).toEqual({ workers: 1, intraOpThreads: 0 });
    expect(inferencePlan({}, 2)).toEqual({ workers: 2, intraOpThreads: 1 });
    expect(inferencePlan({}, 3)).toEqual({ workers: 2, intraOpThreads: 1 });
    expect(inferencePlan({}, 16)).toEqual({ workers: 2, intraOpThreads: 8 });
    expect(inferencePlan({ device: 'cuda' }, 16)).toEqual({ workers: 1, intraOpThreads: 0 });
    expect(inferencePlan({ fullResolution: true }, 16)).toEqual({ workers: 1, intraOpThreads: 0 });
    expect(inferencePlan({ fullResolution: true, workers: 2 }, 16)).toEqual({ workers: 2, intraOpThreads: 8 });
    expect(inferencePlan({ workers: 1 }, 16)).toEqual({ workers: 1, intraOpThreads: 0 });
    expect(inferencePlan({ workers: 4 }, 2)).toEqual({ workers: 4, intraOpThreads: 1 });
    expect(inferencePlan({ workers: 3, intraOpThreads: 2 }, 16)).toEqual({ workers: 3, intraOpThreads: 2 });
  });

  it('graph optimisation is part of the score identity (the default adds nothing); the thread count is not, its scores are the same bits', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'conv.onnx'), convModel());
    const load = (extra: object) => loadDetector(manifest, { modelsDir: dir, ...extra });
    const [all, disabled, one, two] = await Promise.all([load({}), load({ graphOptimization: 'disabled' }), load({ intraOpThreads: 1 }), load({ intraOpThreads: 2 })]);
    try {
      expect(scoreIdentity(disabled).pipeline_hash).not.toBe(scoreIdentity(all).pipeline_hash);
      expect(scoreIdentity(one)).toEqual(scoreIdentity(all));
      expect(scoreIdentity(two)).toEqual(scoreIdentity(all));
      // onnxruntime splits convolutions and pooling by output, so 1 or 2 threads sum in the same order
      // (also on ResNet-50: docs/scaling.md); this is why threads stay out of the identity.
      const [a, b] = [await scores(one), await scores(two)];
      expect(a).toEqual(b);
      expect(new Set(a).size).toBe(3);
    } finally {
      await Promise.all([all, disabled, one, two].map((d) => d.close()));
    }
  });

  it('several inference workers, spinning off: the same score bits as one session on this thread, and the same identity', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'conv.onnx'), convModel());
    const before = liveInferenceWorkers();
    const load = (extra: object) => loadDetector(manifest, { modelsDir: dir, ...extra });
    const [local, pool, quiet] = await Promise.all([load({ inProcess: true }), load({ workers: 3, intraOpThreads: 1 }), load({ workers: 1, spinning: false, intraOpThreads: 2 })]);
    try {
      expect([local.parallel, pool.parallel, quiet.parallel]).toEqual([1, 3, 1]);
      expect(liveInferenceWorkers() - before).toBe(4);
      expect(scoreIdentity(pool)).toEqual(scoreIdentity(local));
      expect(scoreIdentity(quiet)).toEqual(scoreIdentity(local));
      const reference = await scores(local);
      expect(await scores(quiet)).toEqual(reference);
      // all at once: the three images are spread over the three workers and each comes back to its caller
      const rand = uniform(5);
      const inputs = [32, 224, 301].map((size) => ({ channels: 3, height: size, width: size, data: Float32Array.from({ length: 3 * size * size }, () => rand() * 2 - 1) }));
      expect((await Promise.all(inputs.map((t) => pool.score([t])))).flat()).toEqual(reference);
    } finally {
      await Promise.all([local, pool, quiet].map((d) => d.close()));
    }
  });
});
