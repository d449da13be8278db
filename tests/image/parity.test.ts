import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Chw, RgbImage } from '../../src/image/types.js';
import { diff, GOLDENS_DIR, manifest, readExpected, runCase } from './goldens.js';

/** Every golden case: exact on uint8 images, <= 1e-6 on float32 tensors. */
describe(`src/image vs Pillow ${manifest.versions.pillow} / torchvision ${manifest.versions.torchvision} goldens`, () => {
  it.each(manifest.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const out = await runCase(c);
    const expected = readExpected(c);
    if (c.expected.dtype === 'u8') {
      const img = out as RgbImage;
      expect([img.height, img.width, 3]).toEqual(c.expected.shape);
      expect(diff(img.data, expected)).toEqual({ count: 0, max: 0 });
    } else {
      const t = out as Chw;
      expect([t.channels, t.height, t.width]).toEqual(c.expected.shape);
      expect(diff(t.data, expected).max).toBeLessThanOrEqual(1e-6);
    }
  });

  it('covers every op of the vocabulary and the required inputs', () => {
    const ops = new Set(manifest.cases.flatMap((c) => c.ops.map((o) => o.op)));
    expect([...ops].sort()).toEqual(['centerCrop', 'clamp', 'cropToEven', 'gaussianBlur', 'jpeg', 'normalize', 'pilResize', 'resize', 'toTensor']);
    for (const name of ['jpeg_420', 'jpeg_444', 'jpeg_progressive', 'jpeg_grey', 'jpeg_cmyk', 'jpeg_icc', 'jpeg_exif6', 'png_palette', 'png_rgba', 'png_grey16', 'png_grey']) {
      expect(manifest.inputs[name], name).toBeDefined();
    }
  });

  it('stays small (< 1.5 MB on disk)', () => {
    const size = (dir: string): number =>
      readdirSync(dir).reduce((sum, n) => {
        const p = join(dir, n);
        return sum + (statSync(p).isDirectory() ? size(p) : statSync(p).size);
      }, 0);
    expect(size(GOLDENS_DIR)).toBeLessThan(1.5 * 1024 * 1024);
  });
});
