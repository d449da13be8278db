import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listSamples, openDataSource, parseLabel, REQUIRED_COLUMNS, type DataSource } from '../loaders/index.js';
import { UserError } from '../util/errors.js';
import { nearest } from '../util/suggest.js';
import { fieldEquals, fieldLatin1, fieldLatin1Transient, fieldNumber, fieldText, latin1ToUtf8, readCsvHeader, scanCsv, type CsvRow } from '../loaders/csv.js';
import { countListItems, DERIVED_COLUMNS, listCountKey } from './derived.js';
import { SampleIds } from './id-index.js';
import type { ColumnNeeds } from './plan.js';

/** A text column, integer-coded: `values[codes[row]]` is the row's text ('' = empty). */
export interface CategoricalColumn {
  codes: Int32Array;
  values: string[];
}

/**
 * The eval set's metadata, column-wise: one entry per sample (metadata row), only the columns a report needs.
 * Sample ids and pair ids are keyed by their raw bytes as Latin-1 strings (see loaders/csv.ts fieldLatin1), so
 * predictions join on exact bytes without decoding UTF-8 per row.
 */
export interface MetadataTable {
  /** metadata.csv, or the data folder for a real/ + fake/ layout. */
  source: string;
  /** sha256 of metadata.csv's bytes (for a folder layout: of its sorted "id<TAB>label" lines). */
  fingerprint: string;
  /** Every column the metadata has (plus none derived). */
  header: string[];
  rowCount: number;
  /** 0 real, 1 fake. */
  label: Uint8Array;
  /** Source image code per row (Sample.pairId = image_id); `pairIds[code]` is its text. */
  pair: Int32Array;
  pairIds: string[];
  /** Sample id of each row, as bytes (empty for the `columns` part). */
  ids: SampleIds;
  /**
   * The row of a sample id (Latin-1 key). The index behind it is built on first use: predictions normally
   * arrive in metadata order and are joined by position (see scores.ts), so most reports never build it.
   */
  rowOf(id: string): number | undefined;
  categorical: Map<string, CategoricalColumn>;
  /** NaN = empty or not a number. Derived columns are stored here under their name. */
  numeric: Map<string, Float64Array>;
}

/** Reads only the header of the eval set's metadata (for planning which columns to load). */
export function readHeader(dataDir: string): string[] {
  const file = metadataFile(dataDir);
  if (!file) return ['image_id', 'image_path', 'dataset', 'label'];
  return readCsvHeader(file);
}

/**
 * Every column the eval set's samples carry, for planning slices: metadata.csv's header, or without one the
 * columns its loader gives the samples' meta (the full release's per-model CSVs mapped onto Evalset names, the
 * first Evalset version's metadata inside an archive, a real/ + fake/ folder's core columns). Without a
 * metadata.csv this lists the samples once (the metadata only, no image is read) from `source`: pass the same
 * one to readMetadata, so its index (per-model CSVs parsed, or a part decompressed to its metadata.csv) is
 * built once.
 */
export async function readColumns(dataDir: string, source?: DataSource): Promise<string[]> {
  if (metadataFile(dataDir)) return readHeader(dataDir);
  const columns = new Set(readHeader(dataDir));
  for await (const s of listSamples(source ?? openDataSource(resolve(dataDir)))) for (const column of Object.keys(s.meta)) columns.add(column);
  return [...columns];
}

function metadataFile(dataDir: string): string | undefined {
  const root = resolve(dataDir);
  if (!existsSync(root)) throw new UserError(`Data folder not found: ${root}`, 'E_DATA');
  const file = join(root, 'metadata.csv');
  return existsSync(file) ? file : undefined;
}

/**
 * Which part of the metadata to read: everything; only ids and labels (`core`, what joining predictions
 * needs: its `pair` is empty); or labels, pairs, the slice columns and the fingerprint without the ids
 * (`columns`, what assigning slices needs). A large report reads the two halves on two threads at once.
 */
export type MetadataPart = 'all' | 'core' | 'columns';

/** The metadata.csv of an Evalset folder, or undefined for a real/ + fake/ folder. */
export function metadataCsv(dataDir: string): string | undefined {
  return metadataFile(dataDir);
}

/**
 * Reads the metadata a report needs. An Evalset's metadata.csv is scanned column-wise (no per-row objects:
 * 1.5 M rows in a few seconds); a real/ + fake/ folder goes through its loader. The sample id is
 * `image_path` and the pair id `image_id`, as the Evalset loader defines them. `source`: the loader already
 * opened on `dataDir` (see readColumns).
 */
export async function readMetadata(dataDir: string, needs: ColumnNeeds, part: MetadataPart = 'all', source?: DataSource): Promise<MetadataTable> {
  const file = metadataFile(dataDir);
  const none: ColumnNeeds = { categorical: new Set(), numeric: new Set(), listCounts: new Set(), derived: new Set() };
  const builder = new TableBuilder(part === 'core' ? none : needs, part !== 'columns', part !== 'core');
  let table: MetadataTable;
  if (file) {
    table = scanMetadata(file, builder, part);
  } else {
    const root = resolve(dataDir);
    const lines: string[] = [];
    builder.start(['image_id', 'image_path', 'dataset', 'label']);
    for await (const s of listSamples(source ?? openDataSource(root))) {
      builder.ids.pushKey(latin1Key(s.id));
      builder.addRow(s.label, latin1Key(s.pairId));
      builder.readText((column) => s.meta[column] ?? '');
      lines.push(`${s.id}\t${s.label}`);
    }
    const fingerprint = createHash('sha256').update(lines.sort().join('\n')).digest('hex');
    table = builder.finish(root, fingerprint);
  }
  if (part !== 'core') for (const name of needs.derived) table.numeric.set(name, DERIVED_COLUMNS[name].compute(table));
  return table;
}

function scanMetadata(file: string, builder: TableBuilder, part: MetadataPart): MetadataTable {
  const fingerprint = part !== 'core';
  const hash = createHash('sha256');
  let idField = -1;
  let pairField = -1;
  let labelField = -1;
  scanCsv(file, {
    requireRows: true,
    quiet: part === 'columns', // the other half warns
    onChunk: fingerprint ? (bytes) => hash.update(bytes) : undefined,
    onHeader: (columns) => {
      checkColumns(columns, file);
      idField = columns.indexOf('image_path');
      pairField = columns.indexOf('image_id');
      labelField = columns.indexOf('label');
      return Math.max(idField + 1, pairField + 1, labelField + 1, builder.start(columns));
    },
    onRow: (row) => {
      // the common spellings compared as bytes; anything else through the loader's parser
      let label: 0 | 1 | undefined = fieldEquals(row, labelField, 'fake') ? 1 : fieldEquals(row, labelField, 'real') ? 0 : undefined;
      if (label === undefined) {
        const labelText = fieldText(row, labelField);
        label = parseLabel(labelText);
        if (label === undefined) throw new UserError(`${file}:${row.line}: label '${labelText}' is not real/fake (or 0/1).`, 'E_DATA');
      }
      // the ids only matter to the half that joins predictions, the pairs to the other (an empty image_id falls back to the id)
      if (builder.keepIds) {
        if (row.start[idField] === row.end[idField]) throw new UserError(`${file}:${row.line}: empty image_path.`, 'E_DATA');
        if (row.escaped[idField]) builder.ids.pushKey(fieldLatin1(row, idField));
        else builder.ids.push(row.buf, row.start[idField], row.end[idField]);
      }
      let pair = builder.keepPairs ? fieldLatin1Transient(row, pairField) : ''; // kept only when new (addRow copies it)
      if (builder.keepPairs && pair === '') pair = fieldLatin1(row, idField);
      builder.addRow(label, pair);
      builder.readFields(row);
    },
  });
  return builder.finish(file, fingerprint ? hash.digest('hex') : '');
}

function checkColumns(columns: string[], file: string): void {
  for (const required of REQUIRED_COLUMNS) {
    if (columns.includes(required)) continue;
    const hint = nearest(required, columns);
    throw new UserError(
      `${file} is missing the required column '${required}'${hint ? ` (found '${hint}': misspelt?)` : ''}. Required: ${REQUIRED_COLUMNS.join(', ')}.`,
      'E_DATA',
    );
  }
}

/** A string of its own: a key sliced from a chunk's text would keep the whole chunk alive. */
function ownCopy(key: string): string {
  return Buffer.from(key, 'latin1').toString('latin1');
}

/** A sample id as the Latin-1 key of its UTF-8 bytes (how the scanner keys ids). */
export function latin1Key(id: string): string {
  return Buffer.from(id, 'utf8').toString('latin1');
}

/** Grows typed columns row by row; categorical text is interned through one Map per column. */
class TableBuilder {
  private n = 0;
  private capacity = 1 << 16;
  private label = new Uint8Array(this.capacity);
  private pair = new Int32Array(this.capacity);
  private readonly pairCodes = new Map<string, number>();
  readonly ids = new SampleIds();
  private lastPairKey = '';
  private lastPairCode = -1;
  private cat: { name: string; field: number; codes: Int32Array; dict: Map<string, number> }[] = [];
  /** `source` is the column read; `count` reads it as a list's item count (stored under len(source)). */
  private num: { name: string; source: string; count: boolean; field: number; values: Float64Array }[] = [];
  private header: string[] = [];

  constructor(
    private readonly needs: ColumnNeeds,
    readonly keepIds = true,
    readonly keepPairs = true,
  ) {}

  /** Sets up the columns for a header; returns how many leading fields a record must be split into. */
  start(header: string[]): number {
    this.header = header;
    const field = (c: string): number => header.indexOf(c);
    this.cat = [...this.needs.categorical].map((name) => ({ name, field: field(name), codes: new Int32Array(this.capacity), dict: new Map() }));
    this.num = [
      ...[...this.needs.numeric].map((name) => ({ name, source: name, count: false })),
      ...[...this.needs.listCounts].map((source) => ({ name: listCountKey(source), source, count: true })),
    ].map((c) => ({ ...c, field: field(c.source), values: new Float64Array(this.capacity) }));
    return Math.max(-1, ...this.cat.map((c) => c.field), ...this.num.map((c) => c.field)) + 1;
  }

  /** Adds a row's label and pair (its id goes into {@link ids}); its columns follow through {@link readFields} or {@link readText}. */
  addRow(label: 0 | 1, pairKey: string): void {
    if (this.n === this.capacity) this.grow();
    const row = this.n++;
    this.label[row] = label;
    if (!this.keepPairs) return;
    // rows of one source image usually come together: skip the lookup when the image repeats
    if (pairKey !== this.lastPairKey) {
      let code = this.pairCodes.get(pairKey);
      if (code === undefined) this.pairCodes.set(ownCopy(pairKey), (code = this.pairCodes.size));
      this.lastPairKey = pairKey;
      this.lastPairCode = code;
    }
    this.pair[row] = this.lastPairCode;
  }

  /** The scanner path: the last added row's columns from a CSV record. */
  readFields(record: CsvRow): void {
    const row = this.n - 1;
    for (const c of this.cat) {
      // looked up as a slice of the chunk's text; only a new value is copied out to be kept
      let v = c.dict.get(fieldLatin1Transient(record, c.field));
      if (v === undefined) c.dict.set(fieldLatin1(record, c.field), (v = c.dict.size));
      c.codes[row] = v;
    }
    for (const c of this.num) c.values[row] = c.count ? countListItems(fieldText(record, c.field)) : fieldNumber(record, c.field);
  }

  /** The loader path: the last added row's columns from text. */
  readText(get: (column: string) => string): void {
    const row = this.n - 1;
    for (const c of this.cat) {
      const key = latin1Key(get(c.name));
      let v = c.dict.get(key);
      if (v === undefined) c.dict.set(key, (v = c.dict.size));
      c.codes[row] = v;
    }
    for (const c of this.num) {
      const text = get(c.source);
      c.values[row] = c.count ? countListItems(text) : text.trim() === '' ? NaN : Number(text);
    }
  }

  private grow(): void {
    this.capacity *= 2;
    const widen = <T extends Uint8Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(this.capacity);
      b.set(a);
      return b;
    };
    this.label = widen(this.label);
    this.pair = widen(this.pair);
    for (const c of this.cat) c.codes = widen(c.codes);
    for (const c of this.num) c.values = widen(c.values);
  }

  finish(source: string, fingerprint: string): MetadataTable {
    const n = this.n;
    return {
      source,
      fingerprint,
      header: this.header,
      rowCount: n,
      label: this.label.slice(0, n),
      pair: this.pair.slice(0, n),
      pairIds: [...this.pairCodes.keys()].map(latin1ToUtf8),
      ids: this.ids,
      rowOf: (id) => this.ids.rowOf(id, source, latin1ToUtf8),
      categorical: new Map(this.cat.map((c) => [c.name, { codes: c.codes.slice(0, n), values: [...c.dict.keys()].map(latin1ToUtf8) }])),
      numeric: new Map(this.num.map((c) => [c.name, c.values.slice(0, n)])),
    };
  }
}
