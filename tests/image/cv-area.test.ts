import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { cvResizeArea, isotropicResizePad } from '../../src/image/cv-area.js';
import { preprocess } from '../../src/image/pipeline.js';
import { toTensor } from '../../src/image/tensor.js';
import { opsOutputSize } from '../../src/detectors/adapter.js';
import { crossEfficientViT } from '../../src/detectors/zoo/cross-efficient-vit.js';

// Goldens: tools/parity/make_cv_area_goldens.py (OpenCV 4.6 INTER_AREA; the CrossEfficientViT repository's
// IsotropicResize + PadIfNeeded re-stated with numpy).
const DIR = join(import.meta.dirname, '../goldens/cv-area');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  cases: { name: string; image: string; kind: 'transform' | 'area'; width: number; height: number; expected: string }[];
};

describe('cv2 INTER_AREA and the CrossEfficientViT test transform', () => {
  for (const c of manifest.cases) {
    it(`${c.name}: byte-equal to OpenCV`, async () => {
      const img = await decodeImage(join(DIR, c.image));
      const out = c.kind === 'transform' ? isotropicResizePad(img, 224) : cvResizeArea(img, c.width, c.height);
      expect([out.width, out.height]).toEqual([c.width, c.height]);
      const expected = gunzipSync(readFileSync(join(DIR, c.expected)));
      let differ = 0;
      for (let i = 0; i < expected.length; i++) if (out.data[i] !== expected[i]) differ++;
      expect(differ).toBe(0);
    });
  }

  it("is cross-efficient-vit's preprocessing under every protocol (the graph does BGR and x255 itself)", async () => {
    const c = manifest.cases.find((c) => c.name === 'wide-640x400')!;
    const img = await decodeImage(join(DIR, c.image));
    for (const protocol of ['native', 'semitruths', 'semitruths-run1']) {
      const ops = crossEfficientViT.protocols[protocol];
      expect(opsOutputSize(ops)).toEqual([224, 224]);
      expect((await preprocess(img, ops)).data).toEqual(toTensor(isotropicResizePad(img, 224)).data);
    }
  });

  it('refuses what is not ported: growing (INTER_CUBIC) and integer factors (the fast path)', () => {
    const img = { width: 100, height: 80, data: new Uint8Array(100 * 80 * 3) };
    expect(() => isotropicResizePad(img, 224)).toThrow(/INTER_CUBIC, which is not ported/);
    expect(() => cvResizeArea(img, 50, 40)).toThrow(/integer factor/);
  });
});
