import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/load.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { loadDetector, loadOptions, type Detector } from '../../src/detectors/adapter.js';
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
});
