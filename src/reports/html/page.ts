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
    return compactSvg(await view.toSVG(), f.title);
  } finally {
    view.finalize();
  }
}

/**
 * Vega's SVG less what draws nothing, about two thirds of its bytes: empty background/foreground paths, group
 * elements without attributes, attributes at their SVG default, the font named once on the root, per-mark ARIA
 * (the table beside the chart is the accessible form of its data; the chart is one labelled image) and
 * coordinates beyond 1/100 px. Text is untouched.
 */
export function compactSvg(svg: string, title: string): string {
  const lean = svg
    .replace(/<path class="(?:background|foreground)" aria-hidden="true" d="[^"]*"(?: pointer-events="none")?(?: display="none")?\/>/g, '')
    .replace(/ (?:class|role|aria-roledescription|aria-label|aria-hidden)="[^"]*"| pointer-events="none"| opacity="1"| stroke-width="1"| font-family="sans-serif"| transform="translate\(0,0\)"/g, '')
    .replace(/ (d|transform|x|y|x1|y1|x2|y2|width|height)="([^"]*)"/g, (_, name: string, value: string) => ` ${name}="${value.replace(/-?\d+\.\d{3,}(?:e-?\d+)?/g, (n) => String(Math.round(Number(n) * 100) / 100))}"`)
    .replace(/<line [^>]*>/g, (line) => line.replace(/ (?:x1|y1|x2|y2)="0"/g, '')) // a line's default (a gradient's x2 is 100%)
    .replace(/^<svg /, `<svg role="img" aria-label="${esc(title)}" font-family="sans-serif" `);
  // <g> without attributes groups nothing: drop it and its matching </g>
  const open: boolean[] = [];
  return lean.replace(/<g(?: [^>]*)?>|<\/g>/g, (tag) => {
    if (tag === '</g>') return open.pop() ? tag : '';
    open.push(tag !== '<g>');
    return tag === '<g>' ? '' : tag;
  });
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
<script>${SORT_SCRIPT}${CSV_SCRIPT}</script>
</body>
</html>
`;
}

function figureHtml(f: Figure, svg: string): string {
  // "this table as CSV" is made from the table when clicked (CSV_SCRIPT): the page carries the data once
  const links = [`<a class="table-csv" download="${esc(f.id)}.csv" href="#${esc(f.id)}">this table as CSV</a>`];
  if (f.csv) links.push(`<a href="${esc(f.csv)}">${esc(f.csv)}</a> (${esc(f.csvHolds ?? 'every metric')})`);
  return `<figure id="${esc(f.id)}" class="figure">
<h3>${esc(f.title)}</h3>
<div class="pair"><div class="chart">${svg}</div>
<div class="data">${tableHtml(f)}<p class="links">${links.join(' · ')}</p></div></div>
<figcaption>${esc(f.caption)}</figcaption>
<details><summary>Vega-Lite spec (paste into the Vega editor to restyle)</summary><pre>${escText(specText(f))}</pre></details>
</figure>`;
}

/** The spec as one line of JSON, its numbers to 6 decimals as in the run's CSVs (full values in the table). */
function specText(f: Figure): string {
  return JSON.stringify(f.spec, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(6)) : v));
}

function tableHtml(f: Figure): string {
  const head = f.table.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const rows = f.table.rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('\n');
  return `<table class="sortable" data-figure="${esc(f.id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** A number shows 3 decimals and keeps its full value in data-v (sorting, the CSV link, the browser test). */
function cellHtml(c: Cell): string {
  if (c === null) return '<td data-v="">–</td>';
  if (typeof c === 'number') return `<td data-v="${c}">${Number.isInteger(c) ? c : c.toFixed(3)}</td>`;
  return `<td>${esc(c)}</td>`;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Text inside an element (not an attribute): quotes stay as they are, so JSON keeps its size. */
function escText(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
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
td[data-v]{text-align:right;font-variant-numeric:tabular-nums}td[data-v=""]{color:#aaa;text-align:center}
figcaption{color:#555;font-size:13px;margin-top:6px}.links{font-size:12px;margin:4px 0}
details{font-size:12px;margin-top:4px}pre{max-height:260px;overflow:auto;background:#f6f6f6;padding:6px;white-space:pre-wrap;word-break:break-all}
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

/** "this table as CSV": the table's cells (full values from data-v, blanks empty) as a CSV download, made on click. */
const CSV_SCRIPT = `
document.querySelectorAll('a.table-csv').forEach(function (a) {
  a.addEventListener('click', function () {
    var table = a.closest('figure').querySelector('table');
    function q(c) { var v = c.hasAttribute('data-v') ? c.dataset.v : c.textContent; return /[",\\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }
    var lines = Array.prototype.map.call(table.rows, function (r) { return Array.prototype.map.call(r.cells, q).join(','); });
    a.href = 'data:text/csv;charset=utf-8,' + encodeURIComponent(lines.join('\\n') + '\\n');
  });
});
`;
