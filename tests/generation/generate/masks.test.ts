import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareMask } from '../../../src/generation/generate/masks.js';
import { decodeGrey, type GreyImage } from '../../../src/image/grey.js';
import { greyGaussianBlur, maxFilter, modeFilter } from '../../../src/image/rank-filters.js';

/** Goldens from tools/parity/make_mask_goldens.py (Pillow 9.4, the authors' inpaint_img mask steps). */
const DIR = resolve('tests/goldens/masks');
interface MaskCase {
  id: string;
  input: string;
  mode: string;
  steps: Record<'max9' | 'max9x2' | 'mode10' | 'blur16' | 'mode10_only' | 'max3_only', string>;
}
const manifest: { cases: MaskCase[] } = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const cases = manifest.cases.map((c) => [`${c.id} (${c.mode})`, c] as const);

async function expectSame(got: GreyImage, file: string): Promise<void> {
  const want = await decodeGrey(join(DIR, file));
  expect([got.width, got.height]).toEqual([want.width, want.height]);
  let differing = 0;
  for (let i = 0; i < want.data.length; i++) if (got.data[i] !== want.data[i]) differing++;
  expect(differing, file).toBe(0);
}

describe('mask preparation equals Pillow, step by step', () => {
  it.each(cases)('%s', async (_name, c) => {
    const input = await decodeGrey(join(DIR, c.input));
    const max9 = maxFilter(input, 9);
    await expectSame(max9, c.steps.max9);
    const max9x2 = maxFilter(max9, 9);
    await expectSame(max9x2, c.steps.max9x2);
    const mode = modeFilter(max9x2, 10);
    await expectSame(mode, c.steps.mode10);
    await expectSame(greyGaussianBlur(mode, 16), c.steps.blur16);
    await expectSame(modeFilter(input, 10), c.steps.mode10_only);
    await expectSame(maxFilter(input, 3), c.steps.max3_only);
  });
});

describe('prepareMask', () => {
  it.each(cases)('chains the authors\' steps on the mask file: %s', async (_name, c) => {
    const prepared = await prepareMask(readFileSync(join(DIR, c.input)));
    await expectSame(prepared.mask, c.steps.blur16);
    await expectSame(await decodeGrey(prepared.png), c.steps.blur16);
  });

  it('the goldens are discriminating: each step changes the mask', async () => {
    const c = manifest.cases.find((x) => x.id === 'antialiased_61x43')!;
    const files = [c.input, c.steps.max9, c.steps.max9x2, c.steps.mode10, c.steps.blur16];
    const images = await Promise.all(files.map((f) => decodeGrey(join(DIR, f))));
    for (let i = 1; i < images.length; i++) {
      expect(Buffer.from(images[i].data).equals(Buffer.from(images[i - 1].data)), files[i]).toBe(false);
    }
  });

  it('a corrupt mask is a one-line user error', async () => {
    await expect(prepareMask(Buffer.from('nope'))).rejects.toThrow(/Cannot decode image <buffer>/);
  });

  it('rejects an even max filter size like Pillow', () => {
    expect(() => maxFilter({ width: 1, height: 1, data: new Uint8Array(1) }, 10)).toThrow(/odd/);
  });
});
