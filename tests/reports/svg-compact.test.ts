import sharp from 'sharp';
import { parse as parseVega, View } from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { buildFigures, type ResultsDoc } from '../../src/reports/html/figures.js';
import { curveInputsFromReport } from '../../src/reports/html/curves.js';
import { compactSvg } from '../../src/reports/html/page.js';
import { buildReport } from '../../src/reports/report.js';
import { jsonNumber, resultsDocument } from '../../src/reports/results-json.js';
import { skipWithoutChromium, withPage } from './browser.js';
import { tinyRun } from './tiny-run.js';

describe('compactSvg', () => {
  it.skipIf(skipWithoutChromium('compact SVG in Chromium'))('draws the same pixels as vega\'s SVG, in a third fewer bytes or less', async () => {
    const tiny = tinyRun();
    const report = await buildReport({ runDir: tiny.run, config: tiny.config, resamples: 50 });
    const doc = JSON.parse(JSON.stringify(resultsDocument(report), jsonNumber)) as ResultsDoc;
    const figures = buildFigures(doc, curveInputsFromReport(report));
    const pick = ['leaderboard', 'slice-method', 'heat-method_x_model', 'roc', 'pr'].map((id) => figures.find((f) => f.id === id)!);
    await withPage('/dev/null', async (page) => {
      for (const f of pick) {
        const view = new View(parseVega(compile(f.spec).spec), { renderer: 'none', logLevel: 0 });
        const raw = await view.toSVG();
        view.finalize();
        const lean = compactSvg(raw, f.title);
        expect(lean.length, f.id).toBeLessThan(raw.length * 0.67);
        const shot = async (svg: string) => {
          await page.setContent(`<body style="margin:0">${svg}</body>`);
          return sharp(await page.locator('svg').screenshot()).raw().toBuffer({ resolveWithObject: true });
        };
        const [a, b] = [await shot(raw), await shot(lean)];
        expect([b.info.width, b.info.height], f.id).toEqual([a.info.width, a.info.height]);
        // coordinates rounded to 1/100 px may move antialiasing by a level or two, nothing more
        let off = 0;
        for (let i = 0; i < a.data.length; i++) if (Math.abs(a.data[i] - b.data[i]) > 8) off++;
        expect(off / a.data.length, f.id).toBeLessThan(0.001);
      }
    });
  }, 60_000);
});
