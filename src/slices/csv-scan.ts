import { closeSync, openSync, readSync } from 'node:fs';

/**
 * One CSV record as byte ranges into a shared buffer. Valid only inside the `onRow` callback: the buffer
 * is reused for the next chunk. Read fields with {@link fieldText}, {@link fieldLatin1}, {@link fieldNumber}.
 */
export interface CsvRow {
  buf: Buffer;
  /** Fields split in this record: all of them, or the leading ones the header callback asked for. */
  count: number;
  start: Int32Array;
  end: Int32Array;
  /** 1 = the field was quoted and holds an escaped quote ("") that text readers must unescape. */
  escaped: Uint8Array;
  /** 1-based line number of the record's first line (for error messages). */
  line: number;
}

export interface ScanOptions {
  /** Called once with the header's column names; returns how many leading fields each record needs parsed. */
  onHeader: (columns: string[]) => number;
  /** Called for every non-empty record after the header. */
  onRow: (row: CsvRow) => void;
  /** Sees every byte of the file once, in order (e.g. to hash it while parsing). */
  onChunk?: (bytes: Buffer) => void;
  /** Read size in bytes (tests use tiny chunks to exercise boundaries). */
  chunkBytes?: number;
}

const COMMA = 0x2c;
const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const MAX_FIELDS = 4096;

/**
 * Streams a CSV file (RFC 4180: quoted fields, "" escapes, newlines inside quotes, CRLF, a UTF-8 BOM) in
 * large chunks without building a JS object per record. Why not csv-parse: at 9 M prediction rows its
 * per-record objects cost more than the whole report; here delimiters are found with Buffer.indexOf
 * (memchr), and only the first `onHeader(...)` fields of a record are split.
 */
export function scanCsv(file: string, options: ScanOptions): { rows: number } {
  const fd = openSync(file, 'r');
  try {
    return new Scanner(fd, options).run();
  } finally {
    closeSync(fd);
  }
}

class Scanner {
  private buf: Buffer;
  private len = 0;
  private eof = false;
  private line = 1;
  private wanted = MAX_FIELDS;
  private header = true;
  private rows = 0;
  private readonly row: CsvRow;
  // cached positions of the next delimiter of each kind at or after the cursor (-1 = none in the buffer)
  private nextComma = -1;
  private nextNl = -1;
  private nextQuote = -1;
  /** The last record had a quoted field (which may span lines). */
  private quotedInRecord = false;

  constructor(
    private readonly fd: number,
    private readonly options: ScanOptions,
  ) {
    this.buf = Buffer.allocUnsafe(options.chunkBytes ?? 1 << 24);
    this.row = { buf: this.buf, count: 0, start: new Int32Array(MAX_FIELDS), end: new Int32Array(MAX_FIELDS), escaped: new Uint8Array(MAX_FIELDS), line: 1 };
  }

  run(): { rows: number } {
    let carry = 0;
    let first = true;
    for (;;) {
      if (carry === this.buf.length) this.grow();
      const n = readSync(this.fd, this.buf, carry, this.buf.length - carry, null);
      this.eof = n === 0;
      if (n > 0) this.options.onChunk?.(this.buf.subarray(carry, carry + n));
      this.len = carry + n;
      let p = 0;
      if (first && this.len >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) p = 3;
      first = false;
      this.nextComma = this.nextNl = this.nextQuote = -2; // -2 = not searched yet
      p = this.records(p);
      carry = this.len - p;
      if (this.eof) break;
      this.buf.copy(this.buf, 0, p, this.len);
    }
    return { rows: this.rows };
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafe(this.buf.length * 2);
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
    this.row.buf = bigger;
  }

  /** Parses complete records from `p`; returns where the first incomplete record starts. */
  private records(p: number): number {
    const { buf, row } = this;
    while (p < this.len) {
      // skip empty lines
      if (buf[p] === NL || (buf[p] === CR && buf[p + 1] === NL)) {
        p += buf[p] === CR ? 2 : 1;
        this.line++;
        continue;
      }
      const end = this.record(p);
      if (end < 0) return p;
      row.line = this.line;
      this.line += this.quotedInRecord ? this.newlinesIn(p, end) : 1;
      if (this.header) {
        this.header = false;
        const names: string[] = [];
        for (let f = 0; f < row.count; f++) names.push(fieldText(row, f).trim());
        this.wanted = Math.max(1, Math.min(MAX_FIELDS, this.options.onHeader(names)));
      } else {
        this.rows++;
        this.options.onRow(row);
      }
      p = end;
    }
    return p;
  }

  /** Newlines between a and b: one for a plain record, more when quoted fields span lines. */
  private newlinesIn(a: number, b: number): number {
    let n = 0;
    for (let q = this.buf.indexOf(NL, a); q >= 0 && q < b; q = this.buf.indexOf(NL, q + 1)) n++;
    return Math.max(n, 1);
  }

  private find(byte: number, cached: number, from: number): number {
    if (cached >= from) return cached;
    if (cached === -1) return -1; // searched before and none left in this buffer
    const i = this.buf.indexOf(byte, from);
    return i >= this.len ? -1 : i;
  }

  /**
   * Splits one record starting at `p` into the row's field ranges. Returns the position after its line
   * ending, or -1 when the buffer ends first (the caller reads more).
   */
  private record(p: number): number {
    const { buf, row, len } = this;
    let f = 0;
    this.quotedInRecord = false;
    for (;;) {
      if (f === MAX_FIELDS) throw new Error(`CSV record at line ${this.line} has more than ${MAX_FIELDS} fields`);
      let fieldEnd: number;
      let next: number;
      if (buf[p] === QUOTE) {
        let q = p + 1;
        let escaped = 0;
        for (;;) {
          q = buf.indexOf(QUOTE, q);
          if (q < 0 || q >= len) return this.atEof(p) ? this.unterminated() : -1;
          if (q + 1 >= len && !this.eof) return -1;
          if (buf[q + 1] === QUOTE) {
            escaped = 1;
            q += 2;
            continue;
          }
          break;
        }
        row.start[f] = p + 1;
        row.end[f] = q;
        row.escaped[f] = escaped;
        next = q + 1;
        this.quotedInRecord = true;
        if (next < len && buf[next] !== COMMA && buf[next] !== NL && buf[next] !== CR) {
          throw new Error(`CSV line ${this.line}: unexpected character after a closing quote`);
        }
        fieldEnd = next;
      } else {
        this.nextComma = this.find(COMMA, this.nextComma, p);
        this.nextNl = this.find(NL, this.nextNl, p);
        const nl = this.nextNl < 0 ? (this.eof ? len : -1) : this.nextNl;
        if (nl < 0) return -1;
        fieldEnd = this.nextComma >= 0 && this.nextComma < nl ? this.nextComma : nl;
        row.start[f] = p;
        row.end[f] = fieldEnd > p && fieldEnd === nl && buf[fieldEnd - 1] === CR ? fieldEnd - 1 : fieldEnd;
        row.escaped[f] = 0;
        next = fieldEnd;
      }
      f++;
      if (next >= len) {
        if (!this.eof) return -1;
        row.count = f;
        return len;
      }
      if (buf[next] === CR && buf[next + 1] === NL) next++;
      if (buf[next] === NL || buf[next] === CR) {
        row.count = f;
        return next + 1;
      }
      p = next + 1; // past the comma
      if (f >= this.wanted) {
        // the fields the caller wants are split; jump to the line end unless a quote in the rest could hide one
        this.nextNl = this.find(NL, this.nextNl, p);
        this.nextQuote = this.find(QUOTE, this.nextQuote, p);
        const nl = this.nextNl < 0 ? (this.eof ? len : -1) : this.nextNl;
        if (nl < 0) return -1;
        if (this.nextQuote < 0 || this.nextQuote > nl) {
          row.count = f; // the fields after these are not split
          return nl < len ? nl + 1 : len;
        }
      }
    }
  }

  private atEof(p: number): boolean {
    return this.eof && p < this.len;
  }

  private unterminated(): never {
    throw new Error(`CSV line ${this.line}: a quoted field is not closed before the end of the file`);
  }
}

/** A field as text (UTF-8), with "" unescaped. Empty when the record has fewer fields. */
export function fieldText(row: CsvRow, f: number): string {
  if (f >= row.count) return '';
  const text = row.buf.toString('utf8', row.start[f], row.end[f]);
  return row.escaped[f] ? text.replaceAll('""', '"') : text;
}

/**
 * A field's raw bytes as a Latin-1 string: one char per byte, so it is a cheap, exact key for ids (encode
 * both sides the same way) but not display text for non-ASCII ids (see {@link latin1ToUtf8}).
 */
export function fieldLatin1(row: CsvRow, f: number): string {
  if (f >= row.count) return '';
  const text = (row.buf as FastBuffer).latin1Slice(row.start[f], row.end[f]);
  return row.escaped[f] ? text.replaceAll('""', '"') : text;
}

/** Node's Buffer has latin1Slice (what toString('latin1') calls, minus argument checks); @types/node omits it. */
type FastBuffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Display text of a key made by {@link fieldLatin1}. */
export function latin1ToUtf8(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}

/** Integers up to 2^53 are exact doubles; so is every step of accumulating one digit by digit. */
const MAX_EXACT = 2 ** 53;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A field as a number, exactly as `Number(text)` would read it, or NaN when empty. Plain decimals whose
 * digits form an integer <= 2^53 with at most 22 decimals take Clinger's fast path (an exact integer divided
 * by an exact power of ten is correctly rounded); everything else goes through `Number`. Python's
 * `nan`/`inf` spellings are accepted.
 */
export function fieldNumber(row: CsvRow, f: number): number {
  if (f >= row.count) return NaN;
  const { buf } = row;
  let p = row.start[f];
  const e = row.end[f];
  if (p === e) return NaN;
  let negative = false;
  if (buf[p] === 0x2d) {
    negative = true;
    p++;
  }
  let mantissa = 0;
  let scale = 0;
  let dot = false;
  let q = p;
  for (; q < e; q++) {
    const c = buf[q];
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      if (dot) scale++;
    } else if (c === 0x2e && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (q === e && q > p && mantissa <= MAX_EXACT && scale <= 22 && !(dot && q === p + 1)) {
    const v = mantissa / POW10[scale];
    return negative ? -v : v;
  }
  const text = (buf as FastBuffer).latin1Slice(row.start[f], e);
  const v = Number(text);
  if (!Number.isNaN(v)) return text.trim() === '' ? NaN : v;
  const lower = text.trim().toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  return NaN;
}

/** Whether a field is byte-for-byte equal to `ascii` (no allocation). */
export function fieldEquals(row: CsvRow, f: number, ascii: string): boolean {
  if (f >= row.count) return ascii === '';
  const s = row.start[f];
  if (row.end[f] - s !== ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (row.buf[s + i] !== ascii.charCodeAt(i)) return false;
  return true;
}
