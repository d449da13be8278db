import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { teleaInpaint } from '../../../src/generation/generate/inpaint/telea.js';
import { decodeImage } from '../../../src/image/decode.js';
import { decodeGrey } from '../../../src/image/grey.js';

/** Goldens from tools/parity/make_telea_goldens.py (OpenCV 4.6 cv2.inpaint, INPAINT_TELEA). */
const DIR = resolve('tests/goldens/telea');
interface TeleaCase {
  id: string;
  image: string;
  mask: string;
  radius: number;
  expected: string;
}
const manifest: { cases: TeleaCase[] } = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));

function countDiff(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('teleaInpaint equals cv2.inpaint(..., INPAINT_TELEA) byte for byte', () => {
  it.each(manifest.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const image = await decodeImage(join(DIR, c.image));
    const mask = await decodeGrey(join(DIR, c.mask));
    const expected = await decodeImage(join(DIR, c.expected));
    const got = teleaInpaint(image, mask.data, c.radius);
    expect([got.width, got.height]).toEqual([expected.width, expected.height]);
    expect(countDiff(got.data, expected.data)).toBe(0);
  });

  it('the goldens are discriminating: OpenCV changed the masked pixels, and the radius matters', async () => {
    const c = manifest.cases.find((x) => x.id === 'blobs_101x67_r5')!;
    const image = await decodeImage(join(DIR, c.image));
    const expected = await decodeImage(join(DIR, c.expected));
    expect(countDiff(image.data, expected.data)).toBeGreaterThan(1000);
    // Same algorithm with another radius gives other bytes, so the radius really reaches the computation.
    const mask = await decodeGrey(join(DIR, c.mask));
    expect(countDiff(teleaInpaint(image, mask.data, 3).data, expected.data)).toBeGreaterThan(100);
  });

  it('leaves the input untouched and rejects a mask of another size', async () => {
    const c = manifest.cases[0];
    const image = await decodeImage(join(DIR, c.image));
    const before = new Uint8Array(image.data);
    const mask = await decodeGrey(join(DIR, c.mask));
    teleaInpaint(image, mask.data, 3);
    expect(countDiff(image.data, before)).toBe(0);
    expect(() => teleaInpaint(image, mask.data.subarray(1), 3)).toThrow(/mask has/);
  });
});
