import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../util/errors.js';

/**
 * The one CSV reader: every CSV semibench reads (metadata.csv, predictions.csv, pairs tables, measure's log)
 * goes through it, under one set of rules:
 *
 * - the first non-empty line is the header: it must exist, its names are trimmed, and no name may repeat;
 * - every record has exactly as many fields as the header;
 * - RFC 4180 quoting: a field in "..." may hold commas, line breaks and "" (one quote); a closing quote is
 *   followed by a comma or the line end; a quote inside an unquoted field is an ordinary character;
 * - LF or CRLF line ends; empty lines are skipped; a leading UTF-8 BOM is dropped;
 * - text is UTF-8: lines that are not are read with U+FFFD in place of their bad bytes, and one warning per
 *   file names the first of them.
 *
 * A broken rule is a one-line UserError "FILE:LINE: what is wrong". Two ways in, one scanner behind both:
 * {@link readCsvRecords} (an object per record) and {@link scanCsv} (column-wise, for millions of rows).
 */

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
  /** The buffer's bytes as one Latin-1 string, made on first use per chunk (numbers are parsed from slices of it). */
  text: string | undefined;
  /** Bytes of the buffer in use. */
  len: number;
  /** Where the record starts in the file, and its length with its line end: re-read it with {@link CsvRecordReader}. */
  offset: number;
  bytes: number;
}

export interface ScanOptions {
  /** Called once with the header's column names; returns how many leading fields each record needs split. */
  onHeader: (columns: string[]) => number;
  /** Called for every non-empty record after the header. */
  onRow: (row: CsvRow) => void;
  /** Sees every byte of the file once, in order (e.g. to hash it while parsing). */
  onChunk?: (bytes: Buffer) => void;
  /** Read size in bytes (tests use tiny chunks to exercise boundaries). */
  chunkBytes?: number;
  /** A header with no record after it is an error (an eval set needs samples). */
  requireRows?: boolean;
  /** Leave the non-UTF-8 warning to another reader of the same file (a report's second thread). */
  quiet?: boolean;
  /** The file's content when it is not on disk (an archive member): read from here, `file` only names it. */
  bytes?: Buffer;
}

const COMMA = 0x2c;
const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const MAX_FIELDS = 4096;
/** How many non-UTF-8 lines a warning names (the count is always exact). */
const BAD_LINES_LISTED = 5;

/**
 * Streams a CSV file in large chunks without building a JS object per record: delimiters are found with
 * Buffer.indexOf (memchr), and only the first `onHeader(...)` fields of a record are split (the rest are
 * counted, so the width rule holds for every record). Why not csv-parse: at 9 M prediction rows its
 * per-record objects cost more than the whole report.
 */
export function scanCsv(file: string, options: ScanOptions): { rows: number; header: string[] } {
  const fd = options.bytes ? -1 : openFile(file);
  try {
    const scanner = new Scanner(file, fd, options);
    while (scanner.step());
    return { rows: scanner.rows, header: scanner.header! };
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** The header's column names, read under the same rules (an empty file or a repeated name is an error). */
export function readCsvHeader(file: string): string[] {
  const fd = openFile(file);
  try {
    let header: string[] | undefined;
    const scanner = new Scanner(file, fd, { chunkBytes: 1 << 16, onHeader: (c) => ((header = c), 0), onRow: () => {}, stopAfterHeader: true });
    while (header === undefined && scanner.step());
    return header!;
  } finally {
    closeSync(fd);
  }
}

/**
 * Streams a CSV file as records keyed by its header, with the 1-based line number of each record. The
 * header is passed to `onHeader` before the first record, so callers can validate columns. Records read
 * before a malformed one are yielded before its error is thrown.
 */
export async function* readCsvRecords(
  file: string,
  onHeader?: (columns: string[]) => void,
  options: Pick<ScanOptions, 'requireRows' | 'chunkBytes'> = {},
): AsyncGenerator<{ record: Record<string, string>; line: number }> {
  const fd = openFile(file);
  const ready: { record: Record<string, string>; line: number }[] = [];
  let columns: string[] = [];
  try {
    const scanner = new Scanner(file, fd, {
      chunkBytes: options.chunkBytes ?? 1 << 16,
      requireRows: options.requireRows,
      onHeader: (c) => {
        columns = c;
        onHeader?.(c);
        return c.length;
      },
      onRow: (row) => {
        const record: Record<string, string> = {};
        for (let f = 0; f < columns.length; f++) record[columns[f]] = fieldText(row, f);
        ready.push({ record, line: row.line });
      },
    });
    for (;;) {
      let more: boolean;
      try {
        more = scanner.step();
      } catch (error) {
        yield* ready.splice(0);
        throw error;
      }
      yield* ready.splice(0);
      if (!more) return;
    }
  } finally {
    closeSync(fd);
  }
}

function openFile(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file}: no such file.`, 'E_DATA', { cause: error });
    if (code === 'EISDIR') throw new UserError(`${file}: is a folder, not a CSV file.`, 'E_DATA', { cause: error });
    if (code === 'EACCES') throw new UserError(`${file}: permission denied.`, 'E_DATA', { cause: error });
    throw error;
  }
}

/** Files already warned about in this process (a command may read one file several times). */
const warnedNotUtf8 = new Set<string>();

/** The non-UTF-8 warning, e.g. "metadata.csv: lines 3, 7 are not valid UTF-8 ...". */
export function notUtf8Message(file: string, lines: readonly number[], count: number): string {
  const more = count > lines.length ? ` and ${count - lines.length} more` : '';
  const which = count === 1 ? `line ${lines[0]} is` : `lines ${lines.join(', ')}${more} are`;
  return `${file}: ${which} not valid UTF-8; read with U+FFFD (�) in place of the bad bytes. Save the file as UTF-8.`;
}

class Scanner {
  private buf: Buffer;
  private len = 0;
  private carry = 0;
  private first = true;
  private eof = false;
  private done = false;
  private line = 1;
  /** The file offset of buf[0]. */
  private base = 0;
  /** Bytes of options.bytes already read. */
  private taken = 0;
  private wanted = MAX_FIELDS;
  /** Column names once the header is read. */
  header: string[] | undefined;
  rows = 0;
  private readonly row: CsvRow;
  /** Fields in the last record, split or only counted. */
  private fields = 0;
  // cached positions of the next delimiter of each kind at or after the cursor (-1 = none in the buffer)
  private nextComma = -1;
  private nextNl = -1;
  private nextQuote = -1;
  /** The last record had a quoted field (which may span lines). */
  private quotedInRecord = false;
  private readonly badLines: number[] = [];
  private badCount = 0;

  constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly options: ScanOptions & { stopAfterHeader?: boolean },
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(4, options.chunkBytes ?? 1 << 24));
    this.row = { buf: this.buf, count: 0, start: new Int32Array(MAX_FIELDS), end: new Int32Array(MAX_FIELDS), escaped: new Uint8Array(MAX_FIELDS), line: 1, text: undefined, len: 0, offset: 0, bytes: 0 };
  }

  /** Reads one chunk and handles the records it completes; false once the file is done. */
  step(): boolean {
    if (this.done) return false;
    if (this.carry === this.buf.length) this.grow();
    const n = this.read();
    this.eof = n === 0;
    if (n > 0) this.options.onChunk?.(this.buf.subarray(this.carry, this.carry + n));
    this.len = this.carry + n;
    let p = 0;
    if (this.first && (this.len >= 3 || this.eof)) {
      if (this.len >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) p = 3;
      this.first = false;
    }
    if (!this.first) {
      this.nextComma = this.nextNl = this.nextQuote = -2; // -2 = not searched yet
      this.row.text = undefined;
      this.row.len = this.len;
      const from = p;
      const line = this.line;
      p = this.records(p);
      this.checkUtf8(from, p, line);
    }
    this.carry = this.len - p;
    if (this.eof) {
      this.finish();
      return false;
    }
    this.buf.copy(this.buf, 0, p, this.len);
    this.base += p;
    return true;
  }

  private read(): number {
    const { bytes } = this.options;
    if (!bytes) return readSync(this.fd, this.buf, this.carry, this.buf.length - this.carry, null);
    const n = bytes.copy(this.buf, this.carry, this.taken, this.taken + this.buf.length - this.carry);
    this.taken += n;
    return n;
  }

  private finish(): void {
    this.done = true;
    if (this.header === undefined) this.fail(0, 'empty file: a CSV needs a header line naming its columns.');
    if (this.options.requireRows && this.rows === 0) this.fail(0, 'no rows after the header.');
    if (this.badCount > 0 && !this.options.quiet && !warnedNotUtf8.has(this.file)) {
      warnedNotUtf8.add(this.file);
      console.error(`semibench: warning: ${notUtf8Message(this.file, this.badLines, this.badCount)}`);
    }
  }

  private fail(line: number, what: string): never {
    throw new UserError(`${this.file}${line ? `:${line}` : ''}: ${what}`, 'E_DATA');
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafe(this.buf.length * 2);
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
    this.row.buf = bigger;
  }

  /** Notes the lines of [a, b) that are not UTF-8 (one native check per chunk; line by line only when it fails). */
  private checkUtf8(a: number, b: number, line: number): void {
    if (b <= a || isUtf8(this.buf.subarray(a, b))) return;
    for (let p = a; p < b; line++) {
      const nl = this.buf.indexOf(NL, p);
      const end = nl < 0 || nl >= b ? b : nl + 1;
      if (!isUtf8(this.buf.subarray(p, end))) {
        if (this.badLines.length < BAD_LINES_LISTED) this.badLines.push(line);
        this.badCount++;
      }
      p = end;
    }
  }

  /** Parses complete records from `p`; returns where the first incomplete record starts. */
  private records(p: number): number {
    const { buf, row } = this;
    while (p < this.len) {
      // skip empty lines
      if (buf[p] === NL || (buf[p] === CR && buf[p + 1] === NL && p + 1 < this.len)) {
        p += buf[p] === CR ? 2 : 1;
        this.line++;
        continue;
      }
      if (buf[p] === CR && p + 1 >= this.len && !this.eof) return p;
      const end = this.record(p);
      if (end < 0) return p;
      row.line = this.line;
      row.offset = this.base + p;
      row.bytes = end - p;
      this.line += this.quotedInRecord ? this.newlinesIn(p, end) : 1;
      if (this.header === undefined) {
        this.readHeader();
        if (this.options.stopAfterHeader) return end;
      } else {
        if (this.fields !== this.header.length) {
          this.wrongWidth();
        }
        this.rows++;
        this.options.onRow(row);
      }
      p = end;
    }
    return p;
  }

  private readHeader(): void {
    const { row } = this;
    const names: string[] = [];
    for (let f = 0; f < row.count; f++) names.push(fieldText(row, f).trim());
    const seen = new Map<string, number>();
    names.forEach((name, i) => {
      const before = seen.get(name);
      if (before !== undefined) this.fail(row.line, `the column '${name}' appears twice in the header (columns ${before + 1} and ${i + 1}); rename or drop one.`);
      seen.set(name, i);
    });
    this.header = names;
    this.wanted = Math.max(1, Math.min(MAX_FIELDS, this.options.onHeader(names)));
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
   * Splits one record starting at `p` into the row's field ranges (the leading `wanted` ones; the rest are
   * counted). Returns the position after its line ending, or -1 when the buffer ends first (the caller reads
   * more).
   */
  private record(p: number): number {
    const { buf, row, len } = this;
    let f = 0;
    this.quotedInRecord = false;
    for (;;) {
      if (f === MAX_FIELDS) this.tooManyFields();
      let next: number;
      if (buf[p] === QUOTE) {
        let q = p + 1;
        let escaped = 0;
        for (;;) {
          q = buf.indexOf(QUOTE, q);
          if (q < 0 || q >= len) return this.eof ? this.unterminated() : -1;
          if (q + 2 >= len && !this.eof) return -1; // the bytes after the quote decide what it is
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
        const lineEnd = buf[next] === NL || (buf[next] === CR && (next + 1 < len ? buf[next + 1] === NL : this.eof));
        if (next < len && buf[next] !== COMMA && !lineEnd) {
          this.afterQuote();
        }
      } else {
        this.nextComma = this.find(COMMA, this.nextComma, p);
        this.nextNl = this.find(NL, this.nextNl, p);
        const nl = this.nextNl < 0 ? (this.eof ? len : -1) : this.nextNl;
        if (nl < 0) return -1;
        const fieldEnd = this.nextComma >= 0 && this.nextComma < nl ? this.nextComma : nl;
        row.start[f] = p;
        row.end[f] = fieldEnd > p && fieldEnd === nl && buf[fieldEnd - 1] === CR ? fieldEnd - 1 : fieldEnd;
        row.escaped[f] = 0;
        next = fieldEnd;
      }
      f++;
      if (next < len && buf[next] === CR) next++; // CRLF after a closing quote (an unquoted field ends at the LF)
      if (next >= len) return this.end(f, f, len);
      if (buf[next] === NL) return this.end(f, f, next + 1);
      p = next + 1; // past the comma
      if (f >= this.wanted) {
        // the fields the caller wants are split; count the rest up to the line end unless a quote could hide one
        this.nextNl = this.find(NL, this.nextNl, p);
        this.nextQuote = this.find(QUOTE, this.nextQuote, p);
        const nl = this.nextNl < 0 ? (this.eof ? len : -1) : this.nextNl;
        if (nl < 0) return -1;
        if (this.nextQuote < 0 || this.nextQuote > nl) return this.end(f, f + 1 + this.commas(p, nl), nl < len ? nl + 1 : len);
      }
    }
  }

  // the errors, out of the hot functions (their message code would keep V8 from inlining them)
  private wrongWidth(): never {
    const { fields, header } = this;
    this.fail(this.row.line, `${fields} field${fields === 1 ? '' : 's'}, but the header has ${header!.length} columns (a missing or extra comma, or an unquoted comma in a value?).`);
  }

  private tooManyFields(): never {
    this.fail(this.line, `more than ${MAX_FIELDS} fields.`);
  }

  private unterminated(): never {
    this.fail(this.line, 'a quoted field is not closed before the end of the file.');
  }

  private afterQuote(): never {
    this.fail(this.line, 'unexpected character after a closing quote (a quote inside a quoted value is written "").');
  }

  private end(split: number, fields: number, next: number): number {
    this.row.count = split;
    this.fields = fields;
    return next;
  }

  /** Commas in [a, b) (a plain loop: cheaper than one indexOf call per field for short fields). */
  private commas(a: number, b: number): number {
    const { buf } = this;
    let n = 0;
    for (let q = a; q < b; q++) if (buf[q] === COMMA) n++;
    return n;
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
  const text = row.buf.toString('latin1', row.start[f], row.end[f]);
  return row.escaped[f] ? text.replaceAll('""', '"') : text;
}

/**
 * {@link fieldLatin1} for a key only compared or looked up, never kept: a slice of one Latin-1 string per chunk,
 * which skips a Buffer#toString call per field (at 9 M prediction ids that call is a tenth of the scan) but
 * keeps the chunk's string alive for as long as the key lives.
 */
export function fieldLatin1Transient(row: CsvRow, f: number): string {
  if (f >= row.count) return '';
  const text = (row.text ??= row.buf.toString('latin1', 0, row.len)).slice(row.start[f], row.end[f]);
  return row.escaped[f] ? text.replaceAll('""', '"') : text;
}

/** Display text of a key made by {@link fieldLatin1}. */
export function latin1ToUtf8(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}

/**
 * Integers below 2^53 are exact doubles, so a mantissa accumulated digit by digit that stays below it is exact.
 * Rounding is monotonic, so a true mantissa of 2^53 or more never computes to less; but 2^53 + 1 rounds to
 * exactly 2^53, hence the strict bound.
 */
const EXACT_BELOW = 2 ** 53;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A field as a number, exactly as `Number(text)` would read it, or NaN when empty. Plain decimals whose
 * digits form an integer below 2^53 with at most 22 decimals take Clinger's fast path (an exact integer divided
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
  if (q === e && q > p && mantissa < EXACT_BELOW && scale <= 22 && !(dot && q === p + 1)) {
    const v = mantissa / POW10[scale];
    return negative ? -v : v;
  }
  // one Latin-1 string per chunk, sliced per field: cheaper than a Buffer#toString call per field
  const text = (row.text ??= buf.toString('latin1', 0, row.len)).slice(row.start[f], e);
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

/**
 * The fields of one record the scanner accepted (its bytes from CsvRow.offset/bytes, line end included), as
 * {@link fieldText} reads them: quoted fields unquoted with "" → ", a CR before the line end dropped.
 */
export function splitCsvRecord(bytes: Buffer): string[] {
  let end = bytes.length;
  if (bytes[end - 1] === NL) end--;
  if (bytes[end - 1] === CR) end--;
  const fields: string[] = [];
  for (let p = 0; ; p++) {
    if (bytes[p] === QUOTE && p < end) {
      let q = p + 1;
      let escaped = false;
      for (;;) {
        q = bytes.indexOf(QUOTE, q);
        if (bytes[q + 1] !== QUOTE || q + 1 >= end) break;
        escaped = true;
        q += 2;
      }
      const text = bytes.toString('utf8', p + 1, q);
      fields.push(escaped ? text.replaceAll('""', '"') : text);
      p = q + 1;
    } else {
      const comma = bytes.indexOf(COMMA, p);
      const fieldEnd = comma < 0 || comma > end ? end : comma;
      fields.push(bytes.toString('utf8', p, fieldEnd));
      p = fieldEnd;
    }
    if (p >= end) return fields;
  }
}

/** Bytes read at once by a {@link CsvRecordReader}: rows re-read in file order cost one read per block. */
const RECORD_BLOCK_BYTES = 1 << 16;

/**
 * Re-reads records of indexed CSV files by their byte range (CsvRow.offset, CsvRow.bytes), so an index holds
 * two numbers per row instead of its text. Each read checks the file still has the size and mtime it had when
 * the reader was made: a file changed since it was indexed is a one-line error, never another row's values.
 */
export class CsvRecordReader {
  private readonly stats: ({ size: number; mtimeMs: number } | undefined)[];
  private readonly blocks: { start: number; bytes: Buffer }[] = [];

  /**
   * Make it before scanning the files (a file changed while it is scanned is then caught too). A source given as
   * `{ name, bytes }` is held in memory (an archive member) and read from there.
   */
  constructor(private readonly files: readonly (string | { name: string; bytes: Buffer })[]) {
    this.stats = files.map((file) => {
      if (typeof file !== 'string') return undefined;
      const fd = openFile(file); // a missing file is a one-line error
      try {
        const { size, mtimeMs } = fstatSync(fd);
        return { size, mtimeMs };
      } finally {
        closeSync(fd);
      }
    });
  }

  /** The fields of the record of `files[file]` at `offset`, `bytes` long. */
  record(file: number, offset: number, bytes: number): string[] {
    const source = this.files[file];
    if (typeof source !== 'string') return splitCsvRecord(source.bytes.subarray(offset, offset + bytes));
    let block = this.blocks[file];
    if (!block || offset < block.start || offset + bytes > block.start + block.bytes.length) {
      block = this.blocks[file] = { start: offset, bytes: this.read(source, file, offset, Math.max(bytes, RECORD_BLOCK_BYTES)) };
    }
    return splitCsvRecord(block.bytes.subarray(offset - block.start, offset - block.start + bytes));
  }

  private read(name: string, file: number, offset: number, length: number): Buffer {
    const fd = openFile(name);
    try {
      const { size, mtimeMs } = fstatSync(fd);
      const then = this.stats[file]!;
      if (size !== then.size || mtimeMs !== then.mtimeMs) throw new UserError(`${name} changed while it was being read (rerun the command).`, 'E_DATA');
      const buf = Buffer.allocUnsafe(Math.min(length, size - offset));
      const n = readSync(fd, buf, 0, buf.length, offset);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }
}
