import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeGrey } from '../../../src/image/grey.js';
import { postEditMask } from '../../../src/generation/generate/post-edit-mask.js';

// Goldens: tools/parity/make_p2p_mask_goldens.py ran the authors' calc_mse + calc_cc_ratio_new (save_img, cv2.imwrite)
// on the change goldens' pairs (specks under 10 px, odd sizes, a resize, > 256 regions whose uint8 labels wrap).
const PAIRS = 'tests/goldens/change';
const GOLDENS = 'tests/goldens/p2p-mask';
const expected = JSON.parse(readFileSync(join(GOLDENS, 'expected.json'), 'utf8')) as {
  masks: { name: string; real: string; edited: string; mask: string; mask_pixels: number; total_pixels: number }[];
};

describe('post-edit masks (the release p2p_masks): save_img of the authors\' change chain', () => {
  it.each(expected.masks.map((m) => [m.name, m] as const))('%s: pixel-identical to the Python reference', async (_, golden) => {
    const mask = await postEditMask(join(PAIRS, golden.real), join(PAIRS, golden.edited));
    const got = await decodeGrey(mask.png);
    const want = await decodeGrey(join(GOLDENS, golden.mask));
    expect([got.width, got.height]).toEqual([want.width, want.height]);
    let differ = 0;
    for (let i = 0; i < want.data.length; i++) if (got.data[i] !== want.data[i]) differ++;
    expect(differ).toBe(0);
    expect(mask.ratio).toBe(golden.total_pixels / want.data.length);
  });

  it('the goldens are discriminating: empty, partial and full masks', () => {
    const pixels = expected.masks.map((m) => m.mask_pixels);
    expect(pixels).toContain(0);
    expect(expected.masks.some((m) => m.mask_pixels > 0 && m.mask_pixels < 0.5 * 512 * 512)).toBe(true);
    expect(expected.masks.find((m) => m.name === 'whole')!.mask_pixels).toBe(72 * 72);
  });
});
