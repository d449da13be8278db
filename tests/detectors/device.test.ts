import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { checkDevice, loadDetector } from '../../src/detectors/adapter.js';
import { nprResidualManifest } from '../../src/detectors/builtin/npr-residual.js';
import { scoreIdentity } from '../../src/runner/identity.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

/** `--device cuda`: only the CPU is tested here; without onnxruntime-node's CUDA provider the flag must fail clearly. */
const ortRoot = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..');
const hasCudaProvider = readdirSync(join(ortRoot, 'bin'), { recursive: true }).some((f) => String(f).endsWith('libonnxruntime_providers_cuda.so'));

describe('--device', () => {
  it('cpu is the default and adds nothing to the score identity; cuda is another identity', async () => {
    expect((await loadConfig(undefined, {})).device).toBe('cpu');
    const modelsDir = tempDir();
    const plain = await loadDetector(nprResidualManifest, { modelsDir });
    const cpu = await loadDetector(nprResidualManifest, { modelsDir, device: 'cpu' });
    try {
      expect(scoreIdentity(cpu)).toEqual(scoreIdentity(plain));
      const onCuda = scoreIdentity({ ...cpu, device: 'cuda' });
      expect(onCuda.model_sha256).toBe(scoreIdentity(cpu).model_sha256);
      expect(onCuda.pipeline_hash).not.toBe(scoreIdentity(cpu).pipeline_hash);
    } finally {
      await plain.close();
      await cpu.close();
    }
  });

  it('a config device other than cpu or cuda is refused', async () => {
    await expect(loadConfig(undefined, { device: 'gpu' as 'cuda' })).rejects.toThrow(/--device: must be 'cpu' or 'cuda'/);
  });

  it.skipIf(hasCudaProvider)('without the CUDA provider: one line naming the install step, before any model and at load', async () => {
    expect(() => checkDevice('cpu')).not.toThrow();
    expect(() => checkDevice('cuda')).toThrow(UserError);
    expect(() => checkDevice('cuda')).toThrow('run `npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12`');
    // Past the check (a library API caller): onnxruntime's failure is named as the device's, not as a bad model.
    await expect(loadDetector(nprResidualManifest, { modelsDir: tempDir(), device: 'cuda' })).rejects.toThrow(/^--device cuda: onnxruntime could not start detector 'npr-residual' on CUDA: /);
  });
});
