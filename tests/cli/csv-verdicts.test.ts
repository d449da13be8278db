import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FIXTURE_EVALSET, tempDir } from '../helpers.js';

/**
 * The same malformed CSV fed to every command that reads it must get the same verdict: the same exit status and
 * the same `semibench: ...` lines (paths aside). Commands run in this process through the CLI's own entry point.
 */

const root = tempDir();
afterAll(() => rmSync(root, { recursive: true, force: true }));

// a small eval set from the bundled one: two source photos and their six edits, images and masks copied
const fixture: Record<string, string>[] = parse(readFileSync(join(FIXTURE_EVALSET, 'metadata.csv')), { columns: true });
const ROWS = fixture.filter((r) => r.image_id === 'ADE_train_00000001' || r.image_id === 'ADE_train_00000002');
const HEADER = Object.keys(ROWS[0]);
const METADATA = stringify([HEADER, ...ROWS.map((r) => HEADER.map((c) => r[c]))]).split('\n');
const PREDICTIONS = ['sample_id,detector,score,label,status,error,ms,cache_key', ...ROWS.map((r, i) => `${r.image_path},det,${((i * 7) % 10) / 10 + 0.05},${r.label === 'fake' ? 1 : 0},ok,,1,x`)];

/** Bad-file recipes, applied to the lines of a good file (header first). */
const CASES: Record<string, (lines: string[]) => string | Buffer> = {
  'short row': (l) => text(edit(l, 2, (s) => s.slice(0, s.lastIndexOf(',')))),
  'long row': (l) => text(edit(l, 2, (s) => `${s},extra`)),
  'duplicate label column': (l) => text(l.map((s, i) => (i === 0 ? `${s},label` : `${s},real`))),
  'empty file': () => '',
  'header only': (l) => text(l.slice(0, 1)),
  'unterminated quote': (l) => text(edit(l, l.length - 1, (s) => s.replace(/,([^,]*)$/, ',"$1'))),
  'non-UTF-8 bytes': (l) => Buffer.from(text(l.map((s, i) => (i === 2 || i === 5 ? s.replace(/,([^,]*)$/, ',caf\xe9$1') : s))), 'latin1'),
  BOM: (l) => `\uFEFF${l.join('\r\n')}\r\n`,
};

function edit(lines: string[], at: number, change: (line: string) => string): string[] {
  return lines.map((line, i) => (i === at ? change(line) : line));
}

function text(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

interface Verdict {
  code: number;
  messages: string[];
}

/** Runs `semibench ARGS` in-process; its exit status and `semibench:` stderr lines, with `base` written BASE. */
async function semibench(args: string[], base: string): Promise<Verdict> {
  const errors: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress bars
  process.exitCode = 0;
  try {
    await main(args);
  } finally {
    err.mockRestore();
    log.mockRestore();
    write.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, messages: errors.filter((m) => m.startsWith('semibench:')).map((m) => m.replaceAll(base, 'BASE')) };
}

/** BASE/data (the eval set) and BASE/run, BASE/runB (two runs of it), one folder per command so none sees another's files. */
function layout(base: string, metadata: string | Buffer, predictions: string | Buffer): void {
  mkdirSync(join(base, 'data'), { recursive: true });
  for (const r of ROWS) {
    for (const path of [r.image_path, r.mask_path].filter(Boolean)) {
      mkdirSync(dirname(join(base, 'data', path)), { recursive: true });
      cpSync(join(FIXTURE_EVALSET, path), join(base, 'data', path));
    }
  }
  writeFileSync(join(base, 'data', 'metadata.csv'), metadata);
  for (const [run, text] of [['run', predictions], ['runB', `${PREDICTIONS.join('\n')}\n`]] as const) {
    mkdirSync(join(base, run));
    writeFileSync(join(base, run, 'predictions.csv'), text);
    writeFileSync(join(base, run, 'run.json'), JSON.stringify({ config: { data: join(base, 'data'), threshold: '0.5', protocol: 'native' }, detectors: [] }));
  }
}

const GOOD_METADATA = `${METADATA.filter(Boolean).join('\n')}\n`;
const GOOD_PREDICTIONS = `${PREDICTIONS.join('\n')}\n`;

/** What each command does with BASE; the file under test is BASE/data/metadata.csv or BASE/run/predictions.csv. */
const METADATA_COMMANDS: Record<string, (base: string) => string[]> = {
  run: (b) => ['run', '--detector', 'npr-residual', '--data', join(b, 'data'), '--out', join(b, 'out'), '--models-dir', join(b, 'models')],
  report: (b) => ['report', join(b, 'run'), '--resamples', '0'],
  compare: (b) => ['compare', join(b, 'run'), join(b, 'runB'), '--resamples', '0'],
  measure: (b) => ['measure', '--data', join(b, 'data'), '--no-learned'],
};
const PREDICTION_COMMANDS: Record<string, (base: string) => string[]> = {
  report: (b) => ['report', join(b, 'run'), '--resamples', '0'],
  compare: (b) => ['compare', join(b, 'run'), join(b, 'runB'), '--resamples', '0'],
  'report --predictions': (b) => ['report', join(b, 'imported'), '--predictions', `det=${join(b, 'run', 'predictions.csv')}`, '--data', join(b, 'data'), '--resamples', '0'],
};

/** The verdict every command must give, per case (paths as BASE/...); a function for the file-specific part. */
function expected(file: string, name: string): Verdict {
  const metadata = file.endsWith('metadata.csv');
  const width = metadata ? HEADER.length : 8;
  const label = metadata ? HEADER.indexOf('label') + 1 : 4;
  const fail = (message: string): Verdict => ({ code: 2, messages: [`semibench: BASE/${file}${message}`] });
  const verdicts: Record<string, Verdict> = {
    'short row': fail(`:3: ${width - 1} fields, but the header has ${width} columns (a missing or extra comma, or an unquoted comma in a value?).`),
    'long row': fail(`:3: ${width + 1} fields, but the header has ${width} columns (a missing or extra comma, or an unquoted comma in a value?).`),
    'duplicate label column': fail(`:1: the column 'label' appears twice in the header (columns ${label} and ${width + 1}); rename or drop one.`),
    'empty file': fail(': empty file: a CSV needs a header line naming its columns.'),
    'header only': metadata ? fail(': no rows after the header.') : fail(' has no prediction rows.'),
    'unterminated quote': fail(`:${ROWS.length + 1}: a quoted field is not closed before the end of the file.`),
    'non-UTF-8 bytes': {
      code: 0,
      messages: [`semibench: warning: BASE/${file}: lines 3, 6 are not valid UTF-8; read with U+FFFD (�) in place of the bad bytes. Save the file as UTF-8.`],
    },
    BOM: { code: 0, messages: [] },
  };
  return verdicts[name];
}

describe('every command that reads a CSV gives the same verdict on the same bad file', () => {
  for (const name of Object.keys(CASES)) {
    it(`metadata.csv with a ${name}: run, report, compare, measure`, async () => {
      for (const [command, args] of Object.entries(METADATA_COMMANDS)) {
        const base = join(root, `meta-${name.replaceAll(' ', '-')}`, command);
        layout(base, CASES[name](METADATA.filter(Boolean)), GOOD_PREDICTIONS);
        const verdict = await semibench(args(base), base);
        expect(verdict, command).toEqual(expected('data/metadata.csv', name));
      }
    }, 120_000);

    it(`predictions.csv with a ${name}: report, compare, report --predictions`, async () => {
      for (const [command, args] of Object.entries(PREDICTION_COMMANDS)) {
        const base = join(root, `pred-${name.replaceAll(' ', '-')}`, command.replaceAll(' ', ''));
        layout(base, GOOD_METADATA, CASES[name]([...PREDICTIONS]));
        const verdict = await semibench(args(base), base);
        const want = expected('run/predictions.csv', name);
        // the import copies a header-only file as is: the report then finds no rows in the imported copy
        if (command === 'report --predictions' && name === 'header only') want.messages = ['semibench: BASE/imported/predictions.csv has no prediction rows.'];
        expect(verdict, command).toEqual(want);
      }
    }, 120_000);
  }
});
