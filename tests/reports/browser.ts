import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { skipWithoutReference } from '../helpers.js';

/** Debian's chromium, which .ci/run installs for the page tests. */
export const CHROMIUM = '/usr/bin/chromium';

/** Skip (fail under CI) without Chromium. */
export function skipWithoutChromium(what: string): boolean {
  return skipWithoutReference(what, existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install chromium)`);
}

/**
 * Opens a local page in headless Chromium and hands it to `use`, recording console errors, page errors and
 * every request; the browser is closed after `use`, whatever happens.
 */
export async function withPage(file: string, use: (page: Page, seen: { errors: string[]; requests: string[]; url: string }) => Promise<void>): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ acceptDownloads: true });
    const seen = { errors: [] as string[], requests: [] as string[], url: `file://${file}` };
    page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
    page.on('pageerror', (e) => seen.errors.push(String(e)));
    page.on('request', (r) => seen.requests.push(r.url()));
    await page.goto(seen.url);
    await use(page, seen);
  } finally {
    await browser.close();
  }
}

/** Every figure's chart: its id, how many marks its SVG draws and its size on the page. */
export function drawnFigures(page: Page): Promise<{ id: string; marks: number; w: number; h: number }[]> {
  return page.$$eval('figure.figure', (fs) =>
    fs.map((f) => {
      const svg = f.querySelector('.chart svg');
      const box = svg?.getBoundingClientRect();
      return { id: f.id, marks: svg?.querySelectorAll('path, line, rect, text').length ?? 0, w: box?.width ?? 0, h: box?.height ?? 0 };
    }),
  );
}

/** A figure's table body: each cell's full value (data-v) for numbers, its text otherwise. */
export function tableCells(page: Page, figure: string): Promise<string[][]> {
  return page.$$eval(`table[data-figure="${figure}"] tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.dataset.v ?? td.textContent ?? '')));
}
