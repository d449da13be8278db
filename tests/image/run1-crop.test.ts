import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cropBox } from '../../src/image/crop.js';
import { decodeImage } from '../../src/image/decode.js';
import { preprocess } from '../../src/image/pipeline.js';
import { tvResize } from '../../src/image/resize.js';
import { run1Crop, type SampleContext } from '../../src/image/run1-crop.js';
import { semitruthsRun1Protocol } from '../../src/detectors/zoo/protocols.js';

// Goldens: tools/parity/make_run1_goldens.py (run_1.py's deterministic branches with torchvision 0.14 / PIL 9.4).
const DIR = join(import.meta.dirname, '../goldens/run1');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  cases: { name: string; image: string; mask: string | null; blurRadius: number; branch: string; expected?: string }[];
};
const context = async (maskFile: string | null, key: string): Promise<SampleContext> =>
  maskFile ? { key, mask: async () => decodeImage(join(DIR, maskFile)) } : { key };

describe('semitruths-run1 crop (run_1.py quirks)', () => {
  for (const c of manifest.cases.filter((c) => c.expected)) {
    it(`${c.name}: ${c.branch} branch, byte-equal to run_1's crop`, async () => {
      const img = await decodeImage(join(DIR, c.image));
      const { image, branch } = await run1Crop(img, await context(c.mask, c.name), c.blurRadius || undefined);
      expect(branch).toBe(c.branch);
      expect([image.width, image.height]).toEqual([224, 224]);
      expect(Buffer.from(image.data).equals(gunzipSync(readFileSync(join(DIR, c.expected!))))).toBe(true);
    });
  }

  it('the mask-centre crop starts at the resized centre, so three quarters of a square image is zero padding', async () => {
    const c = manifest.cases.find((c) => c.name === 'square-disk')!;
    const { image } = await run1Crop(await decodeImage(join(DIR, c.image)), await context(c.mask, c.name));
    const at = (x: number, y: number) => image.data[(y * 224 + x) * 3] + image.data[(y * 224 + x) * 3 + 1] + image.data[(y * 224 + x) * 3 + 2];
    expect(at(127, 127)).toBeGreaterThan(0); // 256² resized: rows/cols 128..255 are picture
    for (const [x, y] of [[128, 0], [0, 128], [200, 200], [223, 223]]) expect(at(x, y)).toBe(0);
  });

  it('a mask mostly outside the centre window takes the random search (seeded by the sample key), crop at centre-as-top-left', async () => {
    const c = manifest.cases.find((c) => c.branch === 'random')!;
    const img = await decodeImage(join(DIR, c.image));
    const a = await run1Crop(img, await context(c.mask, 'row-1'));
    expect(['mask-random', 'mask-best']).toContain(a.branch);
    expect((await run1Crop(img, await context(c.mask, 'row-1'))).image.data).toEqual(a.image.data); // same key, same crop
    // The crop is the resized picture from some centre (cy, cx) in [112, 144]² onwards, zero past the edge.
    const resized = tvResize(img, 256, 'bilinear');
    const found = [];
    for (let cy = 112; cy <= 144; cy++) for (let cx = 112; cx <= 144; cx++) if (Buffer.from(cropBox(resized, cx, cy, 224, 224).data).equals(Buffer.from(a.image.data))) found.push([cy, cx]);
    expect(found).toHaveLength(1);
  });

  it('as a protocol: the crop, then ToTensor → ImageNet Normalize → clamp(0, 1)', async () => {
    const c = manifest.cases.find((c) => c.name === 'wide-disk')!;
    const img = await decodeImage(join(DIR, c.image));
    const ctx = await context(c.mask, c.name);
    const t = await preprocess(img, semitruthsRun1Protocol(), ctx);
    const crop = (await run1Crop(img, ctx)).image;
    expect([t.channels, t.height, t.width]).toEqual([3, 224, 224]);
    const v = crop.data[(10 * 224 + 5) * 3 + 1] / 255;
    expect(t.data[224 * 224 + 10 * 224 + 5]).toBeCloseTo(Math.min(1, Math.max(0, (v - 0.456) / 0.224)), 6);
    expect(t.data[224 * 224 + 200 * 224 + 200]).toBe(0); // padding: (0 - mean) / std clamps to 0
  });
});
