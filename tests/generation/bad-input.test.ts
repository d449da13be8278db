import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { formatMeasureSummary } from '../../src/generation/summary.js';
import { copyUnmeasuredEvalset } from '../helpers.js';
import { measureEvalset, readCsv, writeCsv } from './measure-helpers.js';

describe('bad input: every row gets a reason, nothing crashes', () => {
  it('turns missing, unreadable, mismatched, degenerate and NaN inputs into measure_error rows and counts them', async () => {
    const dir = copyUnmeasuredEvalset();
    const meta = readCsv(join(dir, 'metadata.csv'));
    const real = meta.rows.find((r) => r.label === 'real')!;
    const inpainted = meta.rows.find((r) => r.image_id === real.image_id && r.method === 'inpainting')!;
    const p2p = meta.rows.find((r) => r.image_id === real.image_id && r.method === 'p2p')!;
    const realPixels = await decodeImage(join(dir, real.image_path));

    writeFileSync(join(dir, 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    await sharp(Buffer.alloc(100 * 100, 255), { raw: { width: 100, height: 100, channels: 1 } }).png().toFile(join(dir, 'small-mask.png'));
    copyFileSync(join(dir, real.image_path), join(dir, 'same.jpg'));
    // Every channel pushed at least 128 away from the real one: every pixel is "changed".
    const opposite = Buffer.from(realPixels.data.map((v) => (v < 128 ? 255 : 0)));
    await sharp(opposite, { raw: { width: realPixels.width, height: realPixels.height, channels: 3 } }).png().toFile(join(dir, 'opposite.png'));

    const bad: Record<string, Record<string, string>> = {
      missing_file: { ...p2p, image_path: 'p2p/ADE20K/gone.png' },
      unreadable_image: { ...p2p, image_path: 'broken.png' },
      mask_size: { ...inpainted, image_path: 'inpainting/mask-size.png', mask_path: 'small-mask.png' },
      no_change: { ...p2p, image_path: 'same.jpg' },
      whole_image_change: { ...p2p, image_path: 'opposite.png' },
      nan_path: { ...p2p, image_path: 'nan' },
      nan_id: { ...p2p, image_path: 'p2p/other.png', image_id: 'NaN' },
      nan_mask: { ...inpainted, image_path: 'inpainting/nan-mask.png', mask_path: 'NaN' },
      no_real_image: { ...p2p, image_path: 'p2p/orphan.png', image_id: 'no_such_image' },
      duplicate: { ...p2p },
      bad_label: { ...p2p, image_path: 'p2p/label.png', label: 'maybe' },
    };
    copyFileSync(join(dir, inpainted.image_path), join(dir, 'inpainting/mask-size.png'));
    copyFileSync(join(dir, inpainted.image_path), join(dir, 'inpainting/nan-mask.png'));
    for (const name of ['other.png', 'orphan.png', 'label.png']) copyFileSync(join(dir, p2p.image_path), join(dir, 'p2p', name));
    writeCsv(join(dir, 'metadata.csv'), meta.columns, [...meta.rows, ...Object.values(bad)]);

    const result = await measureEvalset(dir);
    const rows = readCsv(join(dir, 'metadata.csv')).rows.slice(meta.rows.length);
    const byName = Object.fromEntries(Object.keys(bad).map((name, i) => [name, rows[i]]));
    const kind = (name: string) => byName[name].measure_error.split(':')[0];

    expect(kind('missing_file')).toBe('missing_file');
    expect(byName.missing_file.measure_error).toContain('p2p/ADE20K/gone.png');
    expect(kind('unreadable_image')).toBe('unreadable_image');
    expect(kind('mask_size')).toBe('mask_size');
    expect(byName.mask_size.area_ratio_measured).toBe(''); // no area of its own
    expect(byName.mask_size.area_ratio).toBe(byName.mask_size.ratio); // the released one is still there
    expect(byName.mask_size.mse).not.toBe(''); // the pair itself is fine
    expect(kind('no_change')).toBe('no_change');
    expect([byName.no_change.mse, byName.no_change.ssim, byName.no_change.post_edit_ratio]).toEqual(['0', '1', '0']);
    expect(kind('whole_image_change')).toBe('whole_image_change');
    expect(byName.whole_image_change.post_edit_ratio).toBe('1');
    for (const name of ['nan_path', 'nan_id', 'nan_mask', 'duplicate', 'bad_label']) expect(kind(name)).toBe('bad_input');
    expect(byName.nan_path.measure_error).toBe("bad_input: image_path is 'nan'");
    expect(byName.nan_mask.mse).not.toBe('');
    expect(kind('no_real_image')).toBe('no_real_image');
    for (const name of ['nan_path', 'nan_id', 'no_real_image', 'duplicate', 'bad_label', 'missing_file', 'unreadable_image']) {
      expect(byName[name].mse).toBe('');
    }
    // Rows with a problem never pass QC and stay out of the bin edges; whole_image_change is only a warning
    // (a global re-render is a legitimate edit), so with no QC score available its pass_qc stays empty.
    for (const [name, r] of Object.entries(byName)) expect(r.pass_qc).toBe(name === 'whole_image_change' ? '' : '0');
    expect(result.bins.basis.rows).toBe(49);
    expect(result.problems).toEqual({
      missing_file: 1, unreadable_image: 1, mask_size: 1, no_change: 1, whole_image_change: 1, bad_input: 5, no_real_image: 1,
    });
    expect(result.rowsWithProblems).toBe(11);
    expect(result.qc.measureErrors).toBe(10);
    const summary = formatMeasureSummary(result);
    expect(summary).toContain('problems: 11 rows');
    expect(summary).toMatch(/bad_input\s+5/);
  });

  it('a header without the required columns is a one-line user error', async () => {
    const dir = copyUnmeasuredEvalset();
    writeFileSync(join(dir, 'metadata.csv'), 'image_id,image_pth,label\nx,y,fake\n');
    await expect(measureEvalset(dir)).rejects.toThrow(/missing the column 'image_path' \(found 'image_pth'/);
    expect(readFileSync(join(dir, 'metadata.csv'), 'utf8')).toBe('image_id,image_pth,label\nx,y,fake\n');
  });

  it('a malformed CSV line is a user error naming the file, and nothing is rewritten', async () => {
    const dir = copyUnmeasuredEvalset();
    const file = join(dir, 'metadata.csv');
    const text = `${readFileSync(file, 'utf8')}x,y,fake\n`;
    writeFileSync(file, text);
    await expect(measureEvalset(dir)).rejects.toThrow(/metadata\.csv:\d+: \d+ fields, but the header has \d+ columns/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
