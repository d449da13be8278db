import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fieldLatin1, fieldNumber, fieldText, latin1ToUtf8, scanCsv } from '../../src/slices/csv-scan.js';
import { tempDir } from '../helpers.js';

function scanAll(text: string, opts: { chunkBytes?: number; wanted?: number } = {}): { header: string[]; rows: string[][]; lines: number[] } {
  const file = join(tempDir(), 'x.csv');
  writeFileSync(file, text);
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

  it('fails on a quote that is never closed', () => {
    expect(() => scanAll('a,b\n1,"open\n')).toThrow(/not closed/);
  });
});

describe('field readers', () => {
  function one(text: string, read: (row: Parameters<typeof fieldNumber>[0]) => unknown): unknown {
    const file = join(tempDir(), 'x.csv');
    writeFileSync(file, `v,w\n${text},x\n`);
    let out: unknown;
    scanCsv(file, { onHeader: () => 2, onRow: (row) => (out = read(row)) });
    return out;
  }

  it('fieldNumber reads exactly what Number() reads, through the fast path and the fallback', () => {
    const samples = ['0.5', '0.8316784501075745', '0.9523809552192688', '0.12345678901234567', '1e-7', '-0.25', '3', '007', '0.1000000000000000055511151231257827', '.5', '5.', '1.7976931348623157e308'];
    for (let i = 0; i < 300; i++) samples.push(String(Math.random()), String(Math.fround(Math.random())), (Math.random() * 100).toFixed(i % 20));
    for (const s of samples) expect(one(s, (r) => fieldNumber(r, 0)), s).toBe(Number(s));
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

  it('fieldLatin1 keys round-trip to UTF-8 text', () => {
    expect(latin1ToUtf8(one('"ä,ö.png"', (r) => fieldLatin1(r, 0)) as string)).toBe('ä,ö.png');
  });
});
