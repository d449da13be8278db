import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMeasureSummary } from '../../src/generation/summary.js';
import { copyEvalset } from '../helpers.js';
import { measureEvalset, readCsv, writeCsv } from './measure-helpers.js';

/** The bundled eval set with its released `ratio` changed on some rows: 3 off by 10 %, one "no mask" sentinel, one on a p2p row. */
function evalsetWithReleasedRatios(): { dir: string; changed: Map<string, string> } {
  const dir = copyEvalset();
  const file = join(dir, 'metadata.csv');
  const { columns, rows } = readCsv(file);
  const inpainting = rows.filter((r) => r.method === 'inpainting');
  const changed = new Map<string, string>();
  for (const r of inpainting.slice(0, 3)) {
    r.ratio = String(Number(r.ratio) * 1.1);
    changed.set(r.image_path, r.ratio);
  }
  inpainting[3].ratio = '1000.0'; // the input metadata's "no mask" value: not an area
  rows.find((r) => r.method === 'p2p')!.ratio = '0.25'; // an area on a row without a mask is not compared nor used
  writeCsv(file, columns, rows);
  return { dir, changed };
}

describe('measure against a released column of the same meaning (area_ratio vs ratio)', () => {
  it('keeps both, uses the released one by default, and warns with counts when they disagree', async () => {
    const { dir, changed } = evalsetWithReleasedRatios();
    const result = await measureEvalset(dir);
    const { rows, columns } = readCsv(join(dir, 'metadata.csv'));
    expect(columns).toContain('area_ratio_measured');
    const inpainting = rows.filter((r) => r.method === 'inpainting');
    expect(result.released).toEqual([
      expect.objectContaining({ column: 'area_ratio', released: 'ratio', compared: inpainting.length - 1, disagree: 3, prefer: 'released', usesReleased: inpainting.length - 1 }),
    ]);
    expect(result.released[0].maxAbsDiff).toBeGreaterThan(0);
    for (const r of inpainting) {
      const measured = Number(r.area_ratio_measured);
      expect(measured).toBeGreaterThan(0);
      // the sentinel row falls back to semibench's value; every other row holds the released value
      expect(r.area_ratio).toBe(r.ratio === '1000.0' ? r.area_ratio_measured : r.ratio);
      if (!changed.has(r.image_path) && r.ratio !== '1000.0') expect(Math.abs(measured - Number(r.ratio))).toBeLessThan(1e-4);
    }
    for (const r of rows.filter((r) => r.method === 'p2p')) expect([r.area_ratio, r.area_ratio_measured]).toEqual(['', '']);
    // the bins were computed over the values used downstream: the released ones
    const bins = JSON.parse(readFileSync(join(dir, 'bins.json'), 'utf8'));
    expect(bins.columns.area_ratio.values).toBe(inpainting.length);

    const summary = formatMeasureSummary(result);
    expect(summary).toContain(`WARNING: area_ratio vs the released ratio: ${inpainting.length - 1} rows compared, 3 differ by more than 0.0001 + 2 %`);
    expect(summary).toContain('--prefer-measured');
    expect(JSON.parse(readFileSync(join(dir, 'measure.json'), 'utf8')).released[0]).toMatchObject({ disagree: 3 });
  });

  it("prefer 'measured' puts semibench's value in area_ratio and still keeps the released column", async () => {
    const { dir, changed } = evalsetWithReleasedRatios();
    const result = await measureEvalset(dir, { prefer: 'measured' });
    const { rows } = readCsv(join(dir, 'metadata.csv'));
    expect(result.released[0]).toMatchObject({ disagree: 3, prefer: 'measured', usesReleased: 0 });
    for (const r of rows.filter((r) => r.method === 'inpainting')) expect(r.area_ratio).toBe(r.area_ratio_measured);
    for (const [path, ratio] of changed) expect(rows.find((r) => r.image_path === path)!.ratio).toBe(ratio);
  });

  it('a table without a released twin gets no _measured column and no comparison', async () => {
    const dir = copyEvalset();
    const file = join(dir, 'metadata.csv');
    const { columns, rows } = readCsv(file);
    writeCsv(file, columns.filter((c) => c !== 'ratio'), rows);
    const result = await measureEvalset(dir);
    expect(result.released).toEqual([]);
    expect(readCsv(file).columns).not.toContain('area_ratio_measured');
  });
});
