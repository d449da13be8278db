import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CsvRecordReader, fieldLatin1, fieldLatin1Transient, fieldNumber, fieldText, latin1ToUtf8, readCsvHeader, readCsvRecords, scanCsv } from '../../src/loaders/csv.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function csvFile(content: string | Buffer): string {
  const file = join(dir, `f${files++}.csv`);
  writeFileSync(file, content);
  return file;
}

function scanAll(text: string | Buffer, opts: { chunkBytes?: number; wanted?: number } = {}): { header: string[]; rows: string[][]; lines: number[] } {
  const file = csvFile(text);
  let header: string[] = [];
  const rows: string[][] = [];
  const lines: number[] = [];
  scanCsv(file, {
    chunkBytes: opts.chunkBytes,
    onHeader: (c) => {
      header = c;
      return opts.wanted ?? c.length;
    },
    onRow: (row) => {
      rows.push(Array.from({ length: row.count }, (_, f) => fieldText(row, f)));
      lines.push(row.line);
    },
  });
  return { header, rows, lines };
}

const TRICKY = [
  '\uFEFFid,text,n',
  'a,plain,1',
  'b,"with, comma",2',
  'c,"with ""quotes"" inside",3',
  'd,"two\nlines",4',
  '',
  'e,,5',
  'f,"",6',
  'g,ünïcödé,7',
].join('\r\n');

describe('scanCsv', () => {
  it('reads RFC 4180 fields as csv-parse does: quotes, escaped quotes, newlines in quotes, CRLF, BOM, empty lines', () => {
    const expected = parse(TRICKY, { bom: true, skip_empty_lines: true }) as string[][];
    const { header, rows } = scanAll(TRICKY);
    expect([header, ...rows]).toEqual(expected);
  });

  it('gives the same rows whatever the chunk size (records cut at every byte boundary)', () => {
    const expected = scanAll(TRICKY).rows;
    for (const chunkBytes of [1, 2, 3, 5, 7, 16, 64]) expect(scanAll(TRICKY, { chunkBytes }).rows).toEqual(expected);
    expect(scanAll(`${TRICKY}\r\n`, { chunkBytes: 3 }).rows).toEqual(expected);
  });

  it('reports the 1-based line of each record', () => {
    // header 1, a 2, b 3, c 4, d 5-6, empty 7, e 8, f 9, g 10
    expect(scanAll(TRICKY).lines).toEqual([2, 3, 4, 5, 8, 9, 10]);
  });

  it('splits only the leading fields asked for, but still respects a quoted newline after them', () => {
    const text = 'a,b,c\n1,2,"x\ny"\n3,4,z\n';
    const { rows } = scanAll(text, { wanted: 1, chunkBytes: 4 });
    expect(rows.map((r) => r[0])).toEqual(['1', '3']);
  });

  it('a record re-read by its byte range (CsvRecordReader) has the fields the scan gave it, at every chunk size; a changed file is refused', () => {
    // A last record without a line end, a trailing empty field, a quoted last field before CRLF.
    const text = `${TRICKY}\r\nh,"end ""q""",\r\ni,x,"y"\r\nj,"z\r\n",9`;
    const file = csvFile(text);
    const expected = scanAll(text).rows;
    for (const chunkBytes of [3, 16, 1 << 16]) {
      const ranges: [number, number][] = [];
      scanCsv(file, { chunkBytes, onHeader: () => 1, onRow: (row) => ranges.push([row.offset, row.bytes]) });
      const reader = new CsvRecordReader([file]);
      // Backwards, so no record is served from the block read for the one before it.
      const reread = ranges.map((_, i) => reader.record(0, ...ranges[ranges.length - 1 - i])).reverse();
      expect(reread).toEqual(expected);
    }
    const reader = new CsvRecordReader([file]);
    writeFileSync(file, text.replace('plain', 'plainer'));
    expect(() => reader.record(0, 0, 10)).toThrow(`${file} changed while it was being read`);
  });

  it('fails on a quote that is never closed', () => {
    expect(() => scanAll('a,b\n1,"open\n')).toThrow(/:2: a quoted field is not closed/);
  });
});

/** What each of the two ways in makes of a file: its rows, or the error message. */
async function bothWays(content: string | Buffer, opts: { chunkBytes?: number; wanted?: number } = {}): Promise<{ scan: unknown; records: unknown }> {
  const file = csvFile(content);
  let scan: unknown;
  try {
    const rows: string[][] = [];
    scanCsv(file, { chunkBytes: opts.chunkBytes, onHeader: (c) => opts.wanted ?? c.length, onRow: (row) => rows.push(Array.from({ length: row.count }, (_, f) => fieldText(row, f))) });
    scan = rows;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    scan = (error as Error).message.replace(file, 'FILE');
  }
  let records: unknown;
  try {
    const rows: string[][] = [];
    for await (const { record } of readCsvRecords(file, undefined, { chunkBytes: opts.chunkBytes })) rows.push(Object.values(record));
    records = rows;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    records = (error as Error).message.replace(file, 'FILE');
  }
  return { scan, records };
}

describe('one rule set for both ways in (scanCsv, readCsvRecords)', () => {
  const verdicts: [string, string, string | string[][]][] = [
    ['a short row', 'a,b,c\n1,2,3\n4,5\n', 'FILE:3: 2 fields, but the header has 3 columns (a missing or extra comma, or an unquoted comma in a value?).'],
    ['a long row', 'a,b,c\n1,2,3\n4,5,6,7\n', 'FILE:3: 4 fields, but the header has 3 columns (a missing or extra comma, or an unquoted comma in a value?).'],
    ['a repeated column name', 'image_path,label,label\na,real,fake\n', "FILE:1: the column 'label' appears twice in the header (columns 2 and 3); rename or drop one."],
    ['a repeated name after trimming', 'a, b ,b\n1,2,3\n', "FILE:1: the column 'b' appears twice in the header (columns 2 and 3); rename or drop one."],
    ['an empty file', '', 'FILE: empty file: a CSV needs a header line naming its columns.'],
    ['blank lines only', '\n\r\n\n', 'FILE: empty file: a CSV needs a header line naming its columns.'],
    ['a BOM only', '\uFEFF', 'FILE: empty file: a CSV needs a header line naming its columns.'],
    ['an unterminated quote', 'a,b\n1,"open\n2,3\n', 'FILE:2: a quoted field is not closed before the end of the file.'],
    ['text after a closing quote', 'a,b\n1,"x"y\n', 'FILE:2: unexpected character after a closing quote (a quote inside a quoted value is written "").'],
    ['a header only', 'a,b\n', []],
    ['a BOM, CRLF and no final line end', '\uFEFFa,b\r\n1,"x"\r\n2,y', [['1', 'x'], ['2', 'y']]],
    ['a quote inside an unquoted field', 'a,b\n1,x"y\n', [['1', 'x"y']]],
  ];
  for (const [what, content, expected] of verdicts) {
    it(`${what}: the same verdict both ways, at every chunk size`, async () => {
      for (const chunkBytes of [undefined, 1, 2, 3, 5, 8]) {
        const got = await bothWays(content, { chunkBytes });
        expect(got.scan, `scanCsv, chunk ${chunkBytes}`).toEqual(expected);
        expect(got.records, `readCsvRecords, chunk ${chunkBytes}`).toEqual(expected);
      }
    });
  }

  it('counts the fields it does not split: a short or long row is refused even when only the first column is wanted', async () => {
    for (const chunkBytes of [undefined, 3]) {
      expect((await bothWays('a,b,c\n1,2,3\n4,5\n', { wanted: 1, chunkBytes })).scan).toMatch(/^FILE:3: 2 fields, but the header has 3/);
      expect((await bothWays('a,b,c\n1,2,3\n4,5,6,7\r\n', { wanted: 1, chunkBytes })).scan).toMatch(/^FILE:3: 4 fields, but the header has 3/);
      const quoted = (await bothWays('a,b,c\n1,2,"3\n,"\n4,5,"6"\n', { wanted: 1, chunkBytes })).scan as string[][];
      expect(quoted.map((r) => r[0])).toEqual(['1', '4']);
    }
  });

  it('a header with no rows is an error only where rows are required (an eval set)', async () => {
    const file = csvFile('image_id,image_path,dataset,label\n');
    expect(scanCsv(file, { onHeader: () => 1, onRow: () => {} }).rows).toBe(0);
    expect(() => scanCsv(file, { requireRows: true, onHeader: () => 1, onRow: () => {} })).toThrow(`${file}: no rows after the header.`);
    await expect(readCsvRecords(file, undefined, { requireRows: true }).next()).rejects.toThrow(`${file}: no rows after the header.`);
  });

  it('yields the records before a malformed one, then throws', async () => {
    const seen: string[] = [];
    const file = csvFile('a,b\n1,2\n3,4\n5\n');
    await expect(
      (async () => {
        for await (const { record } of readCsvRecords(file)) seen.push(record.a);
      })(),
    ).rejects.toThrow(/:4: 1 field, but the header has 2 columns/);
    expect(seen).toEqual(['1', '3']);
  });

  it('readCsvHeader reads only the header, under the same rules', () => {
    expect(readCsvHeader(csvFile('\uFEFF a ,b\r\n1,2\n1\n'))).toEqual(['a', 'b']);
    expect(() => readCsvHeader(csvFile(''))).toThrow(/empty file/);
    expect(() => readCsvHeader(csvFile('a,a\n'))).toThrow(/'a' appears twice/);
    expect(() => readCsvHeader(join(dir, 'none.csv'))).toThrow(UserError);
  });
});

describe('non-UTF-8 text', () => {
  afterEach(() => vi.restoreAllMocks());
  const latin1 = (text: string) => Buffer.from(text, 'latin1');

  it('warns once per file, naming the first lines (both ways in), and reads the bytes as U+FFFD', async () => {
    const lines = ['image_path,caption', 'a.png,ok', 'b.png,caf\xe9', 'c.png,fine', ...Array.from({ length: 7 }, (_, i) => `d${i}.png,na\xefve`)];
    const warnings = vi.spyOn(console, 'error').mockImplementation(() => {});
    const got = await bothWays(latin1(`${lines.join('\n')}\n`), { chunkBytes: 7 });
    expect((got.scan as string[][])[1]).toEqual(['b.png', 'caf\uFFFD']);
    expect(got.records).toEqual(got.scan);
    const messages = warnings.mock.calls.map((c) => String(c[0]));
    expect(messages).toHaveLength(1); // the second read of the same file does not repeat it
    expect(messages[0]).toMatch(/^semibench: warning: .*\.csv: lines 3, 5, 6, 7, 8 and 3 more are not valid UTF-8; read with U\+FFFD/);
  });

  it('says nothing for valid UTF-8, and names a single line', () => {
    const warnings = vi.spyOn(console, 'error').mockImplementation(() => {});
    scanAll('a,b\n1,ünïcödé ✓\n');
    expect(warnings).not.toHaveBeenCalled();
    scanAll(Buffer.concat([Buffer.from('a,b\n1,2\n\n3,'), Buffer.from([0xff]), Buffer.from('\n')]));
    expect(String(warnings.mock.calls[0][0])).toMatch(/: line 4 is not valid UTF-8/);
  });

  it('a quiet reader leaves the warning to the other reader of the file', () => {
    const warnings = vi.spyOn(console, 'error').mockImplementation(() => {});
    scanCsv(csvFile(latin1('a\n\xe9\n')), { quiet: true, onHeader: () => 1, onRow: () => {} });
    expect(warnings).not.toHaveBeenCalled();
  });
});

describe('field readers', () => {
  function one(text: string, read: (row: Parameters<typeof fieldNumber>[0]) => unknown): unknown {
    const file = csvFile(`v,w\n${text},x\n`);
    let out: unknown;
    scanCsv(file, { onHeader: () => 2, onRow: (row) => (out = read(row)) });
    return out;
  }

  it('fieldNumber reads exactly what Number() reads, through the fast path and the fallback', () => {
    const samples = ['0.5', '0.8316784501075745', '0.9523809552192688', '0.12345678901234567', '1e-7', '-0.25', '3', '007', '0.1000000000000000055511151231257827', '.5', '5.', '1.7976931348623157e308'];
    for (let i = 0; i < 300; i++) samples.push(String(Math.random()), String(Math.fround(Math.random())), (Math.random() * 100).toFixed(i % 20));
    for (const s of samples) expect(one(s, (r) => fieldNumber(r, 0)), s).toBe(Number(s));
  });

  it('fieldNumber equals Number() on adversarial mantissas around 2^53 and 100 k random decimal strings', () => {
    const samples = ['-0', '0', '-0.0', '.5', '-.5', '5.', '-5.', '0.', '00.000', '+5', '1e5', '1E-5', '-1.5e+300', '4.9e-324', '1e-400', '1e400', '0x10', '1_0', '1..2', '-', '.', '--1', ' 1', '1 '];
    const pow53 = 2n ** 53n;
    for (let k = -40n; k <= 40n; k++) {
      for (const big of [pow53 + k, pow53 * 10n + k, pow53 * 100n + k, pow53 / 10n + k]) {
        const digits = String(big);
        samples.push(digits, `-${digits}`, `000${digits}`, `${digits}.`, `${digits}.0`, `${digits}e-3`);
        // the same digits with the point at every position: 2^53 ± k scaled by 10^-i
        for (let i = 1; i <= digits.length; i++) samples.push(`${digits.slice(0, -i)}.${digits.slice(-i)}`, `0.${'0'.repeat(i)}${digits}`);
      }
    }
    for (let n = 14; n <= 40; n++) samples.push('9'.repeat(n), `0.${'9'.repeat(n)}`, `1${'0'.repeat(n - 1)}1`, `0.${'3'.repeat(n)}`);
    let seed = 12345;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
    for (let i = 0; i < 100_000; i++) {
      const sign = random() < 0.3 ? '-' : '';
      const whole = digits(Math.floor(random() * 20));
      const fraction = random() < 0.7 ? `.${digits(Math.floor(random() * 25))}` : '';
      const exponent = random() < 0.1 ? `e${Math.floor(random() * 40) - 20}` : '';
      samples.push(`${sign}${whole || (fraction ? '' : '0')}${fraction}${exponent}`);
    }
    const file = csvFile(`v\n${samples.join('\n')}\n`);
    const got: number[] = [];
    scanCsv(file, { onHeader: () => 1, onRow: (row) => got.push(fieldNumber(row, 0)) });
    expect(got.length).toBe(samples.length);
    const wrong = samples.map((s, i) => [s, got[i], Number(s)] as const).filter(([, g, want]) => !Object.is(g, want));
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('fieldNumber: empty is NaN; Python spellings of NaN and infinity are understood; text is NaN', () => {
    expect(one('', (r) => fieldNumber(r, 0))).toBeNaN();
    expect(one('nan', (r) => fieldNumber(r, 0))).toBeNaN();
    expect(one('inf', (r) => fieldNumber(r, 0))).toBe(Infinity);
    expect(one('-inf', (r) => fieldNumber(r, 0))).toBe(-Infinity);
    expect(one('Infinity', (r) => fieldNumber(r, 0))).toBe(Infinity);
    expect(one('abc', (r) => fieldNumber(r, 0))).toBeNaN();
    expect(one('"0.25"', (r) => fieldNumber(r, 0))).toBe(0.25);
  });

  it('numbers and transient keys read from the chunk string are right at every chunk size', () => {
    const lines = ['id,score'];
    for (let i = 0; i < 200; i++) lines.push(`${i % 3 ? `plain/ïmage_${i}.png` : `"q""uoted/ïmage_${i}.png"`},${i % 5 ? Math.random() : i}`);
    const file = csvFile(`${lines.join('\n')}\n`);
    for (const chunkBytes of [7, 64, 1 << 20]) {
      const got: [string, string, number, string][] = [];
      scanCsv(file, { chunkBytes, onHeader: () => 2, onRow: (row) => got.push([fieldLatin1Transient(row, 0), fieldLatin1(row, 0), fieldNumber(row, 1), fieldText(row, 1)]) });
      expect(got).toHaveLength(200);
      for (const [transient, kept, n, text] of got) {
        expect(transient).toBe(kept);
        expect(n).toBe(Number(text));
      }
      expect(latin1ToUtf8(got[0][1])).toBe('q"uoted/ïmage_0.png');
    }
  });

  it('fieldLatin1 keys round-trip to UTF-8 text', () => {
    expect(latin1ToUtf8(one('"ä,ö.png"', (r) => fieldLatin1(r, 0)) as string)).toBe('ä,ö.png');
  });
});
