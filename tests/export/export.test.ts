// Runs tools/export/self_test.py: each exporter on a random-weight model of its architecture, checked in
// onnxruntime-node against PyTorch (max abs logit diff <= 1e-4). Needs Debian's python3-torch and python3-onnx;
// without them the test is skipped with the reason (a failure under CI=true). `npm run test:export` runs this
// file alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipWithoutReference, tempDir } from '../helpers.js';
import { pythonModulesMissing, runPython } from './python.js';

const SELF_TEST = 'tools/export/self_test.py';
const TOLERANCE = 1e-4;

interface ModelResult {
  model: string;
  passed: boolean;
  problems: string[];
  max_abs_diff?: number;
  max_abs_diff_vs_original?: number;
  logit_spread?: number;
}



const missing = pythonModulesMissing('torch, onnx');

describe('tools/export (PyTorch -> ONNX exporters)', () => {
  if (skipWithoutReference('export', missing && `${missing}. Install python3-torch python3-torchvision python3-onnx (see docs/exporting.md).`)) {
    it.skip(`export self-test skipped: ${missing}`, () => {});
    return;
  }

  it('exports CNNSpot, NPR, UFD and the DINOv2 variant; onnxruntime-node matches PyTorch within 1e-4', async () => {
    const dir = tempDir('semibench-export-test-');
    const { code, output } = await runPython([SELF_TEST, '--json', join(dir, 'results.json'), '--tmp', dir]);
    const summary = output.slice(output.indexOf('export self-test'));
    console.log(summary);
    expect(code, output.slice(-4000)).toBe(0);

    const { results } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: ModelResult[] };
    expect(results.map((r) => r.model).sort()).toEqual(['cnnspot', 'dinov2', 'dinov2-cls', 'npr', 'ufd']);
    for (const r of results) {
      expect(r.problems, r.model).toEqual([]);
      expect(r.max_abs_diff, r.model).toBeLessThanOrEqual(TOLERANCE);
      expect(r.max_abs_diff_vs_original, r.model).toBeLessThanOrEqual(TOLERANCE);
      // A check is only worth something if the logits move: the self-test requires a spread >= 100 x tolerance.
      expect(r.logit_spread, r.model).toBeGreaterThanOrEqual(100 * TOLERANCE);
    }
  }, 300_000);
});
