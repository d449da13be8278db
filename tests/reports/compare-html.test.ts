import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { COMPARE_COLUMNS, compareRuns } from '../../src/reports/compare.js';
import { COMPARE_TABLE, writeCompareHtml } from '../../src/reports/compare-html.js';
import { writeCsv } from '../../src/reports/csv.js';
import { drawnFigures, skipWithoutChromium, tableCells, withPage } from './browser.js';
import { tinyPredictions, tinyRun } from './tiny-run.js';

/** Run B: every fake of `det` scored 0.99 (so recall and AUC move), the rest unchanged. */
function boosted(): string {
  return tinyPredictions().replace(/^(fake\/[^,]*),det,[^,]*,/gm, '$1,det,0.99,');
}

let csvFile: string;
let htmlFile: string;
let csvRows: Record<string, string>[];

beforeAll(async () => {
  const a = tinyRun();
  const b = tinyRun({ predictions: boosted() });
  const c = await compareRuns({ runA: a.run, runB: b.run, config: a.config, dataDir: a.data, resamples: 100 });
  csvFile = join(b.run, 'compare.csv');
  writeCsv(csvFile, c.rows, COMPARE_COLUMNS);
  htmlFile = await writeCompareHtml(c, csvFile);
  csvRows = parse(readFileSync(csvFile, 'utf8'), { columns: true });
}, 60_000);

describe('compare.html', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sits beside compare.csv, one figure per slice, each linking to the CSV; names no outside resource', () => {
    expect(htmlFile).toBe(join(csvFile, '..', 'compare.html'));
    const html = readFileSync(htmlFile, 'utf8');
    const slices = [...new Set(csvRows.map((r) => r.slice))];
    expect(slices.length).toBeGreaterThan(3);
    expect((html.match(/<figure /g) ?? []).length).toBe(slices.length);
    for (const s of slices) expect(html).toContain(`id="delta-${s}"`);
    expect(html).toContain('<a href="compare.csv">compare.csv</a> (every metric)');
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)="?(https?:)?\/\//i);
    expect(html).toContain('Threshold policy A 0.5 (det 0.5, det2 0.5), B 0.5 (det 0.5, det2 0.5)');
  });

  it('`semibench compare --html` writes it next to the CSV', async () => {
    const a = tinyRun();
    const b = tinyRun({ predictions: boosted() });
    writeFileSync(join(b.run, 'run.json'), JSON.stringify({ config: { data: a.data } }));
    writeFileSync(join(a.run, 'run.json'), JSON.stringify({ config: { data: a.data } }));
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    await main(['compare', a.run, b.run, '--slices', 'method', '--resamples', '50', '--out', join(b.run, 'cmp', 'x.csv'), '--html']);
    expect(existsSync(join(b.run, 'cmp', 'x.html'))).toBe(true);
    expect(readFileSync(join(b.run, 'cmp', 'x.html'), 'utf8')).toContain('<a href="x.csv">x.csv</a>');
    expect(out.join('\n')).toMatch(/cmp\/x\.html/);
  }, 60_000);

  it.skipIf(skipWithoutChromium('compare.html in Chromium'))('opens in headless Chromium: no console error, no request, every chart drawn, tables equal compare.csv', async () => {
    await withPage(htmlFile, async (page, { errors, requests, url }) => {
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      const drawn = await drawnFigures(page);
      expect(drawn.length).toBe(new Set(csvRows.map((r) => r.slice)).size);
      for (const d of drawn) expect(d.marks > 10 && d.w > 50 && d.h > 50, JSON.stringify(d)).toBe(true);
      // every figure's table is compare.csv's rows of its slice, in order; numbers to the CSV's 6 decimals
      for (const d of drawn) {
        const slice = d.id.replace(/^delta-/, '');
        const want = csvRows.filter((r) => r.slice === slice);
        const got = await tableCells(page, d.id);
        expect(got).toHaveLength(want.length);
        got.forEach((cells, i) =>
          COMPARE_TABLE.forEach(({ key }, j) => {
            const csv = want[i][key];
            if (/^-?\d+\.\d{6}$/.test(csv)) expect(Math.abs(Number(cells[j]) - Number(csv)), `${slice} ${key}`).toBeLessThanOrEqual(5e-7);
            else expect(cells[j], `${slice} ${key}`).toBe(csv);
          }),
        );
      }
      // the boosted fakes show: recall on fakes rises on the whole set for det
      const all = await tableCells(page, 'delta-all');
      const recall = all.find((r) => r[0] === 'det' && r[3] === 'recall_fake')!;
      expect(Number(recall[6])).toBeCloseTo(1 / 3, 6);
      expect(errors).toEqual([]);
    });
  }, 60_000);
});
