import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { COMPARE_COLUMNS, compareMarkdown, compareRuns } from '../../src/reports/compare.js';
import { csvText, neutraliseFormula, writeCsv } from '../../src/reports/csv.js';
import { mdCell } from '../../src/reports/markdown.js';
import { buildReport } from '../../src/reports/report.js';
import { writeReport } from '../../src/reports/write.js';
import { TINY_METADATA, tinyPredictions, tinyRun } from './tiny-run.js';

/**
 * Metadata values and detector names are user text: in a report CSV a leading = + - @ (or tab, CR) must not
 * reach a spreadsheet as a formula (OWASP CSV injection), and in Markdown a | or a line break must not split
 * a table cell.
 */

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const HOSTILE = {
  D1: '=HYPERLINK("http://evil.example","click")',
  D2: '-0.5',
  M1: '@SUM(A1)',
  M2: '\tM|2\nnext line',
  small: '+1+2',
  large: '-x',
};

/** The tiny eval set with hostile dataset / model / sem_magnitude values and detectors named `=det`, `det|2`. */
function hostileRun() {
  const tiny = tinyRun();
  roots.push(dirname(tiny.data));
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = TINY_METADATA.map((line, i) => {
    if (i === 0) return line;
    const fields = line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/); // commas outside quotes
    for (const f of [2, 6, 8]) if (fields[f] in HOSTILE) fields[f] = cell(HOSTILE[fields[f] as keyof typeof HOSTILE]);
    return fields.join(',');
  });
  writeFileSync(join(tiny.data, 'metadata.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(tiny.run, 'predictions.csv'), tinyPredictions().replaceAll(',det,', ',=det,').replaceAll(',det2,', ',"det|2",'));
  return tiny;
}

function csvCells(dir: string): string[] {
  return readdirSync(join(dir, 'slices')).flatMap((f) => (parse(readFileSync(join(dir, 'slices', f))) as string[][]).flat());
}

describe('report CSVs neutralise formula cells (OWASP CSV injection)', () => {
  it('prefixes user text that starts with = + - @ tab or CR with a quote, leaves numbers and plain text alone', () => {
    expect(['=1+2', '+1+1', '-x', '@SUM(A1)', '\tx', '\rx'].map(neutraliseFormula)).toEqual(["'=1+2", "'+1+1", "'-x", "'@SUM(A1)", "'\tx", "'\rx"]);
    expect(['-0.5', '+3', '-1e-7', '-.5', 'plain', '', "'quoted", '1-2'].map(neutraliseFormula)).toEqual(['-0.5', '+3', '-1e-7', '-.5', 'plain', '', "'quoted", '1-2']);
    // numbers the report computes are never text: a negative delta stays a number
    expect(csvText([['=x', -0.25, null, 3]], { escapeFormulas: true })).toBe("'=x,-0.250000,,3\n");
    expect(csvText([['=x', -0.25]], { escapeFormulas: false })).toBe('=x,-0.250000\n');
  });

  it('in every slice CSV: values from metadata and detector names; off with escapeFormulas: false', async () => {
    const tiny = hostileRun();
    const report = await buildReport({ runDir: tiny.run, config: tiny.config, resamples: 0 });
    const safe = join(tiny.run, 'safe');
    const raw = join(tiny.run, 'raw');
    writeReport(report, safe);
    writeReport(report, raw, { escapeFormulas: false });

    const cells = csvCells(safe);
    expect(cells).toContain(`'${HOSTILE.D1}`);
    expect(cells).toContain(HOSTILE.D2); // a plain number
    expect(cells).toContain(`'${HOSTILE.M1}`);
    expect(cells).toContain(`'${HOSTILE.M2}`);
    expect(cells).toContain(`'${HOSTILE.small}`);
    expect(cells).toContain(`'${HOSTILE.large}`);
    expect(cells).toContain("'=det");
    const dangerous = cells.filter((c) => /^[=+\-@\t\r]/.test(c) && !/^-?\d+(\.\d+)?$/.test(c));
    expect(dangerous).toEqual([]);

    const rawCells = csvCells(raw);
    for (const v of [HOSTILE.D1, HOSTILE.M1, HOSTILE.small, '=det']) expect(rawCells).toContain(v);
    expect(rawCells.some((c) => c.startsWith("'"))).toBe(false);
  });

  it('compare.csv too, and `report --no-csv-escape-formulas` turns it off', async () => {
    const a = hostileRun();
    const b = hostileRun();
    const comparison = await compareRuns({ runA: a.run, runB: b.run, config: a.config, resamples: 0 });
    const file = join(b.run, 'compare.csv');
    writeCsv(file, comparison.rows, COMPARE_COLUMNS);
    const cells = (parse(readFileSync(file)) as string[][]).flat();
    expect(cells).toContain(`'${HOSTILE.D1}`);
    expect(cells).toContain("'=det");
    expect(cells.filter((c) => /^[=+@\t\r]/.test(c))).toEqual([]);
    // the Markdown printed for it keeps one cell per value
    for (const line of compareMarkdown(comparison).split('\n').filter((l) => l.startsWith('| '))) expect(unescapedBars(line), line).toBe(7);

    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    const spyErr = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const flag of [[], ['--no-csv-escape-formulas']]) {
        process.exitCode = 0;
        await main(['report', a.run, '--data', a.data, '--resamples', '0', '--out', join(a.run, `cli${flag.length}`), ...flag]);
        expect(Number(process.exitCode ?? 0)).toBe(0);
      }
    } finally {
      spy.mockRestore();
      spyErr.mockRestore();
      process.exitCode = 0;
    }
    expect(csvCells(join(a.run, 'cli0'))).toContain("'=det");
    expect(csvCells(join(a.run, 'cli1'))).toContain('=det');
    expect(csvCells(join(a.run, 'cli1'))).not.toContain("'=det");
  });
});

/** Table cell separators: `|` not preceded by an odd number of backslashes. */
function unescapedBars(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') n++;
  }
  return n;
}

describe('Markdown tables escape | and line breaks in names and values', () => {
  it('mdCell', () => {
    expect(mdCell('a|b')).toBe('a\\|b');
    expect(mdCell('two\nlines\r\nthree')).toBe('two lines three');
    expect(mdCell('ends\\')).toBe('ends\\\\');
    expect(unescapedBars(`| ${mdCell('x\\|y|z\\')} |`)).toBe(2);
  });

  it('summary.md and notebook.md: every table row has as many cells as its header', async () => {
    const tiny = hostileRun();
    const report = await buildReport({ runDir: tiny.run, config: tiny.config, resamples: 0 });
    const written = writeReport(report, join(tiny.run, 'md'), { notebook: true });
    // written.summary is the short terminal text; summary.md is the Markdown file.
    for (const text of [readFileSync(join(tiny.run, 'md', 'summary.md'), 'utf8'), written.notebook!]) {
      expect(text).toContain('det\\|2');
      expect(text).toContain('M\\|2 next line');
      const lines = text.split('\n');
      let width = 0;
      for (const line of lines) {
        if (!line.startsWith('|')) {
          width = 0;
          continue;
        }
        if (width === 0) width = unescapedBars(line);
        expect(unescapedBars(line), line).toBe(width);
      }
    }
  });
});
