// Runs tools/export/cross_efficient_vit.py --self-test: the CrossEfficientViT re-statement with seeded random
// weights, exported and checked in onnxruntime-node against PyTorch. Needs Debian's python3-torch and python3-onnx
// (skipped with the reason otherwise; a failure under CI=true). Slow: the graph is ~380 MB (two EfficientNet-B0
// stems, 75264 → 384 patch embedding), several minutes on 2 cores.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipWithoutReference, tempDir } from '../helpers.js';
import { pythonModulesMissing, runPython } from './python.js';

// float32 through 16 MBConv blocks, a 1280-channel head and 4 cross-scale blocks: measured 1.1e-4 on logits near 1.
const TOLERANCE = 3e-4;



const missing = pythonModulesMissing('torch, onnx');

describe('tools/export/cross_efficient_vit.py', () => {
  if (skipWithoutReference('export', missing && `${missing}. Install python3-torch python3-onnx (see docs/exporting.md).`)) {
    it.skip(`skipped: ${missing}`, () => {});
    return;
  }

  it('exports the re-stated CrossEfficientViT with a fixed 224 x 224 input; onnxruntime-node matches PyTorch', async () => {
    const dir = tempDir('semibench-cev-');
    const out = join(dir, 'models/cross-efficient-vit/cross-efficient-vit.onnx');
    const report = join(dir, 'report.json');
    const { code, output } = await runPython(['cross_efficient_vit.py', '--self-test', '--out', out, '--tol', String(TOLERANCE), '--report-json', report], 'tools/export');
    expect(code, output.slice(-4000)).toBe(0);
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r).toMatchObject({ detector: 'cross-efficient-vit', passed: true, input: 'input', output: 'logit', dynamic_axes: 'batch' });
    expect(r.max_abs_diff).toBeLessThanOrEqual(TOLERANCE);
    expect(r.manifest_model).toMatchObject({ path: 'cross-efficient-vit/cross-efficient-vit.onnx', inputSize: [224, 224] });
  }, 1_200_000);
});
