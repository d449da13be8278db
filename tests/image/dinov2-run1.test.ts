import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dinov2SemiTruths } from '../../src/detectors/zoo/dinov2-semitruths.js';
import { decodeImage } from '../../src/image/decode.js';
import { hfProcessorOnTensor } from '../../src/image/hf-reprocess.js';
import { preprocess } from '../../src/image/pipeline.js';
import { IMAGENET } from '../../src/detectors/zoo/protocols.js';

// Goldens: tools/parity/make_dinov2_run1_goldens.py (run_1's trans + clamp in torchvision 0.14, then the
// BitImageProcessor steps transcribed with numpy / PIL 9.4).
const DIR = join(import.meta.dirname, '../goldens/dinov2-run1');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  cases: { name: string; image: string; expected: string; shape: number[]; rescaledForPil: boolean }[];
};

describe("semitruths-run1 for dinov2-semitruths: run_1's second pass through the DINOv2 processor", () => {
  for (const c of manifest.cases) {
    it(`${c.name}: equals the transcribed processor on run_1's clamped tensor (${c.rescaledForPil ? '×255 for PIL' : 'integer-valued: no ×255'})`, async () => {
      const img = await decodeImage(join(DIR, c.image));
      const t = await preprocess(img, dinov2SemiTruths.protocols['semitruths-run1']);
      expect([t.channels, t.height, t.width]).toEqual(c.shape);
      const raw = gunzipSync(readFileSync(join(DIR, c.expected)));
      const expected = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(t.data[i] - expected[i]));
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  }

  it('leaves DINOv2 an almost constant input: every value within 0.35 of (0 - mean) / std', async () => {
    const t = await preprocess(await decodeImage(join(DIR, manifest.cases[0].image)), dinov2SemiTruths.protocols['semitruths-run1']);
    const plane = 224 * 224;
    let spread = 0;
    for (let c = 0; c < 3; c++) {
      const floor = -IMAGENET.mean[c] / IMAGENET.std[c];
      for (let i = c * plane; i < (c + 1) * plane; i++) spread = Math.max(spread, t.data[i] - floor);
    }
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThan(0.35); // one pass would span (1 - mean) / std - (0 - mean) / std ≈ 4.4
  });

  it('refuses what transformers refuses: non-integer values outside [0, 1]', () => {
    const t = { channels: 3, height: 2, width: 2, data: new Float32Array(12).fill(0.5) };
    t.data[3] = 1.5;
    expect(() => hfProcessorOnTensor(t, { shortestEdge: 4, crop: 2, mean: IMAGENET.mean, std: IMAGENET.std })).toThrow(/outside \[0, 1\]/);
  });
});
