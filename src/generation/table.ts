import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { readCsvHeader, readCsvRecords } from '../loaders/csv.js';
import { parseLabel } from '../loaders/evalset.js';
import { isFullRelease } from '../loaders/release.js';
import { findTenPercentParts } from '../loaders/ten-percent.js';
import { UserError } from '../util/errors.js';
import { resolveDataPath } from '../util/fs.js';
import { nearest } from '../util/suggest.js';
import type { Problem } from './problems.js';

/**
 * The CSV `semibench measure` reads and rewrites, and the files it keeps beside it.
 * - `evalset`: DIR/metadata.csv; a fake row's real image is the `real` row with the same image_id.
 * - `pairs`: any CSV with real_path, edited_path[, mask_path, original_caption, perturbed_caption]; every row is a pair.
 * Image paths in either resolve like `semibench run`'s (src/util/fs.ts): relative to the CSV's folder, and a
 * path outside that folder (`../`, absolute elsewhere, a symlink out) is refused for its row.
 */
export interface MeasureTable {
  mode: 'evalset' | 'pairs';
  /** `file` is written from the full release's metadata at `root`, whose archives hold the images (release-table.ts). */
  release?: boolean;
  /** The CSV measured and rewritten in place. */
  file: string;
  /** Folder that relative paths in the CSV resolve against; every image and mask read must lie inside it. */
  root: string;
  /** Copy of the CSV as it was before the first rewrite. */
  backupFile: string;
  /** Append-only log of measured rows (resume state). */
  storeFile: string;
  /** Bin edges and the statistics behind the derived columns. */
  binsFile: string;
  /** The last run's summary (models, problems, QC accounting). */
  summaryFile: string;
}

/** The Evalset layout: DIR/metadata.csv. */
export function evalsetTable(dir: string): MeasureTable {
  const root = resolve(dir);
  const file = join(root, 'metadata.csv');
  const parts = findTenPercentParts(root);
  const inParts = parts.length > 0 ? ` The first Evalset version keeps it inside a part, which measure cannot rewrite: extract it beside the parts (tar -xjf ${parts[0]} --wildcards '*metadata.csv', then move it to DIR).` : '';
  const release = !existsSync(file) && isFullRelease(root) ? ' This folder is the full Semi-Truths release, which measure reads into a table of its own: add --out DIR (DIR/metadata.csv is written and measured).' : '';
  checkFile(file, `No metadata.csv in ${root}: measure --data needs DIR/metadata.csv.${inParts}${release}`);
  return {
    mode: 'evalset',
    file,
    root,
    backupFile: join(root, 'metadata.orig.csv'),
    storeFile: join(root, '.semibench-measure.csv'),
    binsFile: join(root, 'bins.json'),
    summaryFile: join(root, 'measure.json'),
  };
}

/** A pairs CSV; its side files are named after it (pairs.csv → pairs.orig.csv, .semibench-measure-pairs.csv, ...). */
export function pairsTable(csv: string): MeasureTable {
  const file = resolve(csv);
  checkFile(file, `Pairs file not found: ${file}`);
  const root = dirname(file);
  const stem = basename(file, extname(file));
  return {
    mode: 'pairs',
    file,
    root,
    backupFile: join(root, `${stem}.orig.csv`),
    storeFile: join(root, `.semibench-measure-${stem}.csv`),
    binsFile: join(root, `${stem}.bins.json`),
    summaryFile: join(root, `${stem}.measure.json`),
  };
}

function checkFile(file: string, missing: string): void {
  const info = statSync(file, { throwIfNoEntry: false });
  if (!info) throw new UserError(missing, 'E_DATA');
  if (!info.isFile()) throw new UserError(`${file} is not a file (a folder?): measure needs a CSV file.`, 'E_DATA');
}

const REQUIRED: Record<MeasureTable['mode'], string[]> = {
  evalset: ['image_id', 'image_path', 'label'],
  pairs: ['real_path', 'edited_path'],
};

/** Throws a UserError naming the first required column the header lacks. */
export function checkHeader(table: MeasureTable, columns: string[]): void {
  for (const required of REQUIRED[table.mode]) {
    if (columns.includes(required)) continue;
    const hint = nearest(required, columns);
    throw new UserError(
      `${table.file} is missing the column '${required}'${hint ? ` (found '${hint}': misspelt?)` : ''}. ` +
        `measure needs: ${REQUIRED[table.mode].join(', ')}.`,
      'E_DATA',
    );
  }
}

/** Streams the table's records with their line numbers, checking the header first. A malformed CSV is a UserError. */
export function readTable(table: MeasureTable, file = table.file): AsyncGenerator<{ record: Record<string, string>; line: number }> {
  return readCsvRecords(file, (columns) => checkHeader(table, columns), { requireRows: true });
}

/** The column names of a CSV (reads only its header). */
export async function readHeader(file: string): Promise<string[]> {
  return readCsvHeader(file);
}

/** What measure does with one row. */
export type RowPlan =
  /** An Evalset real image: no metrics, only the scene columns. */
  | { role: 'real'; group: string }
  | { role: 'pair'; group: string; pair: PairPlan };

/** One (real, edited) pair to measure. Paths are absolute; a blocked pair has a problem and no paths to read. */
export interface PairPlan {
  /** Stable row identity in the measured-rows log: the edited image's path as the CSV writes it. */
  key: string;
  realPath?: string;
  editedPath?: string;
  maskPath?: string;
  /** Inpainting rows take their captions from the mask labels and carry area_ratio. */
  inpainting: boolean;
  originalCaption?: string;
  perturbedCaption?: string;
  /** Input problems found without reading any file (bad cells, no real row). */
  problems: Problem[];
  /** True when the problems leave nothing to measure. */
  blocked: boolean;
  /** Where a file's bytes come from when it is not the file at its path (an archive member: archived-pairs.ts). */
  read?: PairReads;
}

/** Reads of a pair's files handed over by the reader of an archived eval set; each rejects with a DataFileError. */
export interface PairReads {
  real?: () => Promise<Buffer>;
  edited?: () => Promise<Buffer>;
  mask?: () => Promise<Buffer>;
}

/** What the first pass over the table learns: every real image by image_id, and which lines repeat a key. */
export interface TableIndex {
  realByImageId: Map<string, string>;
  duplicateLines: Set<number>;
  rows: number;
  pairs: number;
}

/** Pass 1: indexes real images and finds duplicate keys (O(number of rows) strings, no images). */
export async function indexTable(table: MeasureTable): Promise<TableIndex> {
  const realByImageId = new Map<string, string>();
  const seen = new Set<string>();
  const duplicateLines = new Set<number>();
  let rows = 0;
  let pairs = 0;
  for await (const { record, line } of readTable(table)) {
    rows++;
    const isReal = table.mode === 'evalset' && parseLabel(record.label) === 0;
    if (isReal) {
      if (!realByImageId.has(record.image_id) && cellValue(record.image_path)) realByImageId.set(record.image_id, record.image_path);
      continue;
    }
    pairs++;
    const key = rawKey(table, record);
    if (!key) continue;
    if (seen.has(key)) duplicateLines.add(line);
    else seen.add(key);
  }
  return { realByImageId, duplicateLines, rows, pairs };
}

/** Decides how one row is measured. */
export function planRow(table: MeasureTable, index: TableIndex, record: Record<string, string>, line: number): RowPlan {
  return table.mode === 'evalset' ? planEvalsetRow(table, index, record, line) : planPairsRow(table, index, record, line);
}

/** The group a row's image belongs to (scene complexity counts rows per group). */
export function groupOf(table: MeasureTable, record: Record<string, string>): string {
  return table.mode === 'evalset' ? record.image_id ?? '' : record.real_path ?? '';
}

function planEvalsetRow(table: MeasureTable, index: TableIndex, record: Record<string, string>, line: number): RowPlan {
  const group = groupOf(table, record);
  const label = parseLabel(record.label);
  if (label === 0) return { role: 'real', group };
  const problems: Problem[] = [];
  if (label === undefined) problems.push({ kind: 'bad_input', detail: `label '${record.label ?? ''}' is not real/fake` });
  const edited = pathCell(record, 'image_path', problems);
  let real: string | undefined;
  if (!cellValue(record.image_id)) problems.push({ kind: 'bad_input', detail: `image_id is '${record.image_id ?? ''}'` });
  else {
    real = index.realByImageId.get(record.image_id);
    if (real === undefined) problems.push({ kind: 'no_real_image', detail: `no real row with image_id '${record.image_id}'` });
  }
  const inpainting = record.method === 'inpainting' || (!record.method && !!cellValue(record.mask_path));
  const mask = inpainting ? pathCell(record, 'mask_path', problems) : undefined;
  const pair: PairPlan = {
    key: uniqueKey(table, record, line, index, problems),
    realPath: real === undefined ? undefined : absolute(table.root, real),
    editedPath: edited === undefined ? undefined : absolute(table.root, edited),
    maskPath: mask === undefined ? undefined : absolute(table.root, mask),
    inpainting,
    // Semi-Truths: inpainting rows compare the mask label with its perturbed label; prompt edits their captions.
    originalCaption: inpainting ? caption(record.mask_name) : caption(record.original_caption),
    perturbedCaption: inpainting ? caption(record.perturbed_mask_name) : caption(record.perturbed_caption) ?? caption(record.perturbed_mask_name),
    problems,
    blocked: false,
  };
  pair.blocked = pair.realPath === undefined || pair.editedPath === undefined || label === undefined || index.duplicateLines.has(line);
  return { role: 'pair', group, pair };
}

function planPairsRow(table: MeasureTable, index: TableIndex, record: Record<string, string>, line: number): RowPlan {
  const problems: Problem[] = [];
  const real = pathCell(record, 'real_path', problems);
  const edited = pathCell(record, 'edited_path', problems);
  const hasMask = record.mask_path !== undefined && record.mask_path.trim() !== '';
  const mask = hasMask ? pathCell(record, 'mask_path', problems) : undefined;
  const pair: PairPlan = {
    key: uniqueKey(table, record, line, index, problems),
    realPath: real === undefined ? undefined : absolute(table.root, real),
    editedPath: edited === undefined ? undefined : absolute(table.root, edited),
    maskPath: mask === undefined ? undefined : absolute(table.root, mask),
    inpainting: hasMask,
    originalCaption: caption(record.original_caption),
    perturbedCaption: caption(record.perturbed_caption),
    problems,
    blocked: false,
  };
  pair.blocked = pair.realPath === undefined || pair.editedPath === undefined || index.duplicateLines.has(line);
  return { role: 'pair', group: groupOf(table, record), pair };
}

/** pandas / Semi-Truths spellings of a missing value. */
const NAN_LIKE = /^(nan|na|n\/a|none|null)$/i;

/** A cell's text, or undefined when it is empty or NaN-like. */
export function cellValue(text: string | undefined): string | undefined {
  const value = text?.trim();
  return value && !NAN_LIKE.test(value) ? value : undefined;
}

function caption(text: string | undefined): string | undefined {
  return cellValue(text);
}

function pathCell(record: Record<string, string>, column: string, problems: Problem[]): string | undefined {
  const value = cellValue(record[column]);
  if (value === undefined) problems.push({ kind: 'bad_input', detail: `${column} is '${record[column] ?? ''}'` });
  return value;
}

function rawKey(table: MeasureTable, record: Record<string, string>): string | undefined {
  return cellValue(table.mode === 'evalset' ? record.image_path : record.edited_path);
}

/** The row's key; a repeated or missing key is a bad_input problem and gets a line-qualified key of its own. */
function uniqueKey(table: MeasureTable, record: Record<string, string>, line: number, index: TableIndex, problems: Problem[]): string {
  const key = rawKey(table, record);
  if (key === undefined) return `#line${line}`;
  if (index.duplicateLines.has(line)) {
    problems.push({ kind: 'bad_input', detail: `${table.mode === 'evalset' ? 'image_path' : 'edited_path'} '${key}' repeats an earlier row` });
    return `${key}#line${line}`;
  }
  return key;
}

function absolute(root: string, path: string): string {
  return resolveDataPath(root, path);
}
