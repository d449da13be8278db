import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { maskAreaRatio } from '../../../src/generation/change/index.js';
import { decodeImage } from '../../../src/image/decode.js';

// Produced by tools/parity/make_area_ratio_goldens.py with Pillow 9.4 / numpy: count(convert("L") >= 128) / size.
const dir = fileURLToPath(new URL('../../goldens/area-ratio/', import.meta.url));
const expected = JSON.parse(readFileSync(dir + 'expected.json', 'utf8')) as {
  masks: { name: string; file: string; mode: string; width: number; height: number; area_ratio: number; nonzero: number }[];
};

describe('area_ratio on masks of every kind (golden: Pillow convert("L") >= 128)', () => {
  for (const m of expected.masks) {
    it(`${m.name} (${m.mode} ${m.file.split('.').pop()})`, async () => {
      const mask = await decodeImage(readFileSync(dir + m.file));
      expect([mask.width, mask.height]).toEqual([m.width, m.height]);
      // A pixel count over the same size: exact, not approximately equal.
      expect(maskAreaRatio(mask)).toBe(m.area_ratio);
    });
  }

  it('the soft-edged kinds are the ones where counting every non-zero pixel would overstate the area', () => {
    const soft = expected.masks.filter((m) => m.nonzero > m.area_ratio).map((m) => m.name);
    expect(soft).toEqual(expect.arrayContaining(['antialiased_cityscapes', 'antialiased_lanczos', 'blurred', 'jpeg_grey_q75', 'jpeg_rgb_q90', 'jpeg_celebahq_q95']));
    expect(soft).not.toContain('binary_grey');
  });
});
