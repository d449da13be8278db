import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseVega, View } from 'vega';
import { compile } from 'vega-lite';
import { buildFigures, type Cell, type Figure, type ResultsDoc } from './figures.js';
import type { DetectorScoresForCurves } from './curves.js';

/** What renderHtmlReport made: the page, how many figures, and how long the charts took. */
export interface HtmlReport {
  html: string;
  figures: number;
  renderMs: number;
}

/**
 * report.html: every figure as inline SVG rendered here in Node (Vega-Lite → Vega → SVG; no browser, no canvas),
 * its data table beside it, its spec and a CSV of its table inline. One file with no network access: no script,
 * style or font is fetched, so it opens offline and can be attached to a review.
 */
export function renderHtmlReport(doc: ResultsDoc, curves: DetectorScoresForCurves[]): Promise<HtmlReport> {
  const figures = buildFigures(doc, curves);
  const title = `semibench report: ${basename(doc.run.dir)}`;
  const intro = `<p>Eval set <code>${esc(doc.dataset.root)}</code>: ${doc.dataset.rows} images (${doc.dataset.reals} real, ${doc.dataset.fakes} fake, ${doc.dataset.sourceImages} source images).
Threshold policy <code>${esc(doc.threshold.policy)}</code>. ${figures.length} figures; every number comes from <a href="results.json">results.json</a>.</p>`;
  return renderPage(title, intro, figures);
}

/**
 * The one page builder (report.html, compare.html): a header (`intro` is HTML), then the figures grouped by
 * section, each drawn to SVG here.
 */
export async function renderPage(title: string, intro: string, figures: Figure[]): Promise<HtmlReport> {
  const t0 = performance.now();
  const svgs: string[] = [];
  for (const f of figures) svgs.push(await renderSvg(f));
  const renderMs = Math.round(performance.now() - t0);
  return { html: page(title, intro, figures, svgs), figures: figures.length, renderMs };
}

/** One figure's SVG. The view is headless (renderer none) and loads nothing: the data is inline in the spec. */
async function renderSvg(f: Figure): Promise<string> {
  const view = new View(parseVega(compile(f.spec).spec), { renderer: 'none', logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function page(title: string, intro: string, figures: Figure[], svgs: string[]): string {
  const sections = [...new Set(figures.map((f) => f.section))];
  const body = sections.map((s) => {
    const mine = figures.map((f, i) => [f, svgs[i]] as const).filter(([f]) => f.section === s);
    return `<section><h2 id="${esc(slug(s))}">${esc(s)}</h2>\n${mine.map(([f, svg]) => figureHtml(f, svg)).join('\n')}</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${esc(title)}</h1>
${intro}
<nav>${sections.map((s) => `<a href="#${esc(slug(s))}">${esc(s)}</a>`).join(' · ')}</nav></header>
<main>
${body.join('\n')}
</main>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}

function figureHtml(f: Figure, svg: string): string {
  const csvText = toCsv(f.table.columns, f.table.rows);
  const links = [`<a download="${esc(f.id)}.csv" href="data:text/csv;charset=utf-8,${encodeURIComponent(csvText)}">this table as CSV</a>`];
  if (f.csv) links.push(`<a href="${esc(f.csv)}">${esc(f.csv)}</a> (every metric)`);
  return `<figure id="${esc(f.id)}" class="figure">
<h3>${esc(f.title)}</h3>
<div class="pair"><div class="chart">${svg}</div>
<div class="data">${tableHtml(f)}<p class="links">${links.join(' · ')}</p></div></div>
<figcaption>${esc(f.caption)}</figcaption>
<details><summary>Vega-Lite spec (paste into the Vega editor to restyle)</summary><pre>${esc(JSON.stringify(f.spec, null, 1))}</pre></details>
</figure>`;
}

function tableHtml(f: Figure): string {
  const head = f.table.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const rows = f.table.rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('\n');
  return `<table class="sortable" data-figure="${esc(f.id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** A number shows 3 decimals and keeps its full value in data-v (sorting, and the browser test). */
function cellHtml(c: Cell): string {
  if (c === null) return '<td class="na" data-v="">–</td>';
  if (typeof c === 'number') return `<td class="num" data-v="${c}">${Number.isInteger(c) ? c : c.toFixed(3)}</td>`;
  return `<td>${esc(c)}</td>`;
}

function toCsv(columns: string[], rows: Cell[][]): string {
  const q = (c: Cell) => (c === null ? '' : typeof c === 'number' ? String(c) : /[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
  return [columns.map(q).join(','), ...rows.map((r) => r.map(q).join(','))].join('\n') + '\n';
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
header{padding:16px 28px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:20px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:0 0 6px}
nav a{color:#2a5db0;text-decoration:none}main{padding:0 28px 40px}
.figure{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:12px 14px;margin:14px 0}
.pair{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}.chart{flex:0 0 auto;max-width:100%;overflow-x:auto}
.data{flex:1 1 320px;max-height:340px;overflow:auto}
table{border-collapse:collapse;font-size:12px}th,td{padding:2px 7px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#f3f3f3;cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#aaa;text-align:center}
figcaption{color:#555;font-size:13px;margin-top:6px}.links{font-size:12px;margin:4px 0}
details{font-size:12px;margin-top:4px}pre{max-height:260px;overflow:auto;background:#f6f6f6;padding:6px}
`;

/** Click a header to sort its table (numbers by their full value, blanks last); click again to reverse. */
const SORT_SCRIPT = `
document.querySelectorAll('table.sortable th').forEach(function (th, _, all) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    th.parentNode.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    function key(r) { var c = r.cells[col]; return c.hasAttribute('data-v') ? (c.dataset.v === '' ? null : Number(c.dataset.v)) : c.textContent; }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return (typeof x === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
`;
