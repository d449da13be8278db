import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/report.js';
import { htmlFromReport } from '../../src/reports/html/index.js';
import { curveInputsFromPredictions, reliabilityBins } from '../../src/reports/html/curves.js';
import { buildFigures, type ResultsDoc } from '../../src/reports/html/figures.js';
import { renderHtmlReport } from '../../src/reports/html/page.js';
import { writeReport } from '../../src/reports/write.js';
import type { SliceRow } from '../../src/slices/aggregate.js';
import { drawnFigures, skipWithoutChromium, tableCells, withPage } from './browser.js';
import { tinyRun } from './tiny-run.js';

let dir: string;
let rows: SliceRow[];
let figures: number;

beforeAll(async () => {
  const tiny = tinyRun();
  const report = await buildReport({ runDir: tiny.run, config: tiny.config, resamples: 50 });
  const html = await htmlFromReport(report);
  figures = html.figures;
  dir = tiny.run;
  writeReport(report, dir, { html: html.html });
  rows = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).rows;
}, 60_000);

describe('report.html', () => {
  it('is one file that names no outside resource', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)="?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(http/i);
    expect((html.match(/<figure /g) ?? []).length).toBe(figures);
    expect(html).toContain('id="leaderboard"');
    expect(html).toContain('id="roc"');
    // every figure states its threshold policy and links a CSV of the run folder
    const captions = [...html.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions).toHaveLength(figures);
    for (const c of captions) expect(c).toContain('Threshold policy 0.5 (fake iff score ≥ threshold; det 0.5, det2 0.5).');
    const links = [...html.matchAll(/<p class="links">(.*?)<\/p>/g)].map((m) => m[1]);
    expect(links).toHaveLength(figures);
    for (const l of links) expect(l).toMatch(/this table as CSV<\/a> · <a href="(slices\/[^"]+|predictions)\.csv">/);
  });

  it('draws a reliability diagram for calibrated detectors only, its bins those of the ECE', async () => {
    const doc = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsDoc;
    const curves = curveInputsFromPredictions(join(dir, 'predictions.csv'));
    expect((await renderHtmlReport(doc, curves)).html).not.toContain('id="reliability"');
    for (const d of doc.run.detectors) d.calibrated = d.name === 'det';
    const html = (await renderHtmlReport(doc, curves)).html;
    const figure = html.slice(html.indexOf('<figure id="reliability"'), html.indexOf('</figure>', html.indexOf('<figure id="reliability"')));
    expect(figure).toMatch(/<svg [^>]*aria-label="Reliability diagram/);
    const det = curves.find((c) => c.detector === 'det')!;
    const cells = [...figure.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td(?: data-v="([^"]*)")?>([^<]*)<\/td>/g)].map((c) => c[1] ?? c[2])).filter((r) => r.length);
    expect(cells).toEqual(reliabilityBins(det).map((b) => ['det', String(b.bin), String(b.predicted), String(b.observed), String(b.n)]));
    expect(cells.length).toBeGreaterThan(3);
  });

  it('draws the clean run in the slice figures; stress conditions (detector@condition rows) only in the robustness figure', () => {
    const doc = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsDoc;
    doc.run.detectors.push({ name: 'det@jpeg:50', calibrated: null, condition: 'jpeg:50' });
    doc.threshold.detectors['det@jpeg:50'] = { value: 0.5 };
    doc.rows.push(...doc.rows.filter((r) => r.detector === 'det').map((r) => ({ ...r, detector: 'det@jpeg:50' })));
    const figures = buildFigures(doc, []);
    expect(figures.length).toBeGreaterThan(5);
    for (const f of figures) {
      expect(f.table.rows.flat(), f.id).not.toContain('det@jpeg:50');
      expect(f.caption, f.id).not.toContain('det@jpeg:50');
    }
  });

  it('heat maps: every cell shows its 95% interval under the value; fake-only crossings get a paired-AUC map too', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const doc = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsDoc;
    const crossed = doc.slices.filter((s) => s.type === 'crossed' && rows.some((r) => r.slice === s.name));
    expect(crossed.some((s) => s.kind === 'fake-only')).toBe(true);
    const heat = buildFigures(doc, []).filter((f) => f.id.startsWith('heat-'));
    expect(heat.map((f) => f.id)).toEqual(crossed.flatMap((s) => (s.kind === 'fake-only' ? [`heat-${s.name}`, `heat-${s.name}-paired_auc`] : [`heat-${s.name}`])));
    let intervals = 0;
    for (const f of heat) {
      const start = html.indexOf(`<figure id="${f.id}"`);
      const svg = html.slice(start, html.indexOf('</svg>', start));
      const slice = crossed.find((s) => f.csv === `slices/${s.name}.csv`)!;
      const metric = f.id.endsWith('-paired_auc') ? 'paired_auc' : slice.kind === 'fake-only' ? 'recall_fake' : 'auc';
      for (const [detector, a, b, , v, lo, hi] of f.table.rows) {
        const row = rows.find((r) => r.slice === slice.name && r.detector === detector && r.value === `${a} x ${b}`)!;
        expect([v, lo, hi]).toEqual([row.metrics[metric].value, row.metrics[metric].lo, row.metrics[metric].hi]);
        if (lo === null || hi === null) continue;
        expect(svg, `${f.id} ${a} x ${b}`).toContain(`>${(lo as number).toFixed(2)}–${(hi as number).toFixed(2)}</text>`);
        intervals++;
      }
    }
    expect(intervals).toBeGreaterThan(0);
  });

  it.skipIf(skipWithoutChromium('html report in Chromium'))('opens in headless Chromium with no console error and no network request, every figure drawn, tables equal results.json', async () => {
    await withPage(join(dir, 'report.html'), async (page, { errors, requests, url }) => {
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      const drawn = await drawnFigures(page);
      expect(drawn).toHaveLength(figures);
      for (const d of drawn) expect(d.marks > 10 && d.w > 50 && d.h > 50, JSON.stringify(d)).toBe(true);

      // the leaderboard table holds results.json's overall rows, full precision in data-v
      const table = await tableCells(page, 'leaderboard');
      const overall = rows.filter((r) => r.slice === 'all');
      expect(table).toHaveLength(overall.length);
      for (const r of overall) {
        const got = table.find((t) => t[0] === r.detector)!;
        const want = [r.n_real, r.n_fake, ...(['auc', 'ap', 'accuracy'] as const).flatMap((m) => [r.metrics[m].value, r.metrics[m].lo, r.metrics[m].hi])];
        expect(got.slice(2).map((v) => (v === '' ? null : Number(v)))).toEqual(want);
      }
      // a slice figure's table: every row of the slice, recall on fakes as in results.json
      const slice = rows.find((r) => r.kind === 'fake-only' && r.slice !== 'all' && !r.value.includes(' x '))!;
      const sliceRows = await tableCells(page, `slice-${slice.slice}`);
      expect(sliceRows).toHaveLength(rows.filter((r) => r.slice === slice.slice).length);
      const mine = sliceRows.find((t) => t[0] === slice.detector && t[1] === slice.value)!;
      expect(mine[4] === '' ? null : Number(mine[4])).toBe(slice.metrics.recall_fake.value);

      // "this table as CSV" downloads the table with full values, blanks empty
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#leaderboard a.table-csv')]);
      const csv = parse(readFileSync((await download.path())!, 'utf8')) as string[][];
      expect(csv[0].slice(0, 4)).toEqual(['detector', 'threshold', 'n real', 'n fake']);
      expect(csv.slice(1)).toEqual(table);

      // sorting: a click on AUC orders the leaderboard by AUC
      await page.click('table[data-figure="leaderboard"] th:nth-child(5)');
      const aucs = await page.$$eval('table[data-figure="leaderboard"] tbody tr td:nth-child(5)', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.v)));
      expect(aucs).toEqual([...aucs].sort((a, b) => a - b));
      expect(errors).toEqual([]);
    });
  }, 60_000);
});

