import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { resolveDataPath } from '../util/fs.js';
import { nearest } from '../util/suggest.js';
import { readCsvRecords } from './csv.js';
import type { DataSource, Sample } from './sample.js';

/** Columns every Evalset metadata.csv must have (semi-truths-dataset.md §5C). */
export const REQUIRED_COLUMNS = ['image_id', 'image_path', 'dataset', 'label'] as const;

const LABELS: Record<string, 0 | 1> = { real: 0, '0': 0, fake: 1, '1': 1 };

/**
 * Extension of a source dataset's images, for an `image_path` without one (run_1.py `file_type_map`). run_1
 * appends it when the path contains none of .png/.jpg/.jpeg, taking the first dataset named in the path.
 */
export const FILE_TYPE_MAP: Record<string, string> = {
  ADE20K: '.jpg',
  CelebAHQ: '.jpg',
  CityScapes: '.png',
  HumanParsing: '.png',
  OpenImages: '.jpg',
  SUN_RGBD: '.jpg',
};

/** run_1.py's path rule: a path naming no .png/.jpg/.jpeg gets its dataset's extension; others are unchanged. */
export function withImageExtension(imagePath: string): string {
  if (['.png', '.jpg', '.jpeg'].some((ext) => imagePath.includes(ext))) return imagePath;
  const dataset = Object.keys(FILE_TYPE_MAP).find((d) => imagePath.includes(d));
  return dataset ? imagePath + FILE_TYPE_MAP[dataset] : imagePath;
}

/**
 * The pair id of a row: its `image_id`, except that a CelebAHQ id given as a bare number (`20046`) is written
 * `CelebA_20046` as the source images are, so a real photo and its edits pair up (final_bins.py `scene_cols`
 * pads the same way: 'CelebA_' + '{:05d}').
 */
export function pairIdOf(imageId: string, dataset: string | undefined): string {
  if (dataset === 'CelebAHQ' && /^\d+$/.test(imageId)) return `CelebA_${imageId.padStart(5, '0')}`;
  return imageId;
}

/** A row left out because its image_path repeats an earlier row's (the first is kept). */
export interface DuplicateRow {
  line: number;
  imagePath: string;
  firstLine: number;
}

/** Parses the Evalset `label` column ('real' / 'fake', or 0 / 1); undefined for anything else. */
export function parseLabel(value: string | undefined): 0 | 1 | undefined {
  return value === undefined ? undefined : LABELS[value.trim().toLowerCase()];
}

/**
 * The Semi-Truths Evalset layout: `ROOT/metadata.csv` plus image files at the relative paths its
 * `image_path` column names (relative to ROOT; an absolute path must also lie inside ROOT). A sample's id is its image_path (unique); its pairId is `image_id`, which a real
 * image shares with every edit of it. The released metadata's quirks are read as run_1.py reads them: an
 * extension-less path gets its dataset's extension (the id keeps the path as written), and a bare CelebAHQ
 * number pairs with `CelebA_%05d`. A repeated image_path keeps its first row: the others are listed in
 * `duplicates` after a pass (an error instead with `strict`).
 */
export class EvalsetSource implements DataSource {
  readonly root: string;
  readonly metadataFile: string;

  /** Rows the last pass over samples() left out as repeats. */
  duplicates: DuplicateRow[] = [];

  constructor(
    root: string,
    private readonly options: { strict?: boolean } = {},
  ) {
    this.root = resolve(root);
    this.metadataFile = join(this.root, 'metadata.csv');
    const info = statSync(this.metadataFile, { throwIfNoEntry: false });
    if (!info) throw new UserError(`No metadata.csv in ${this.root}: an Evalset folder needs ROOT/metadata.csv.`, 'E_DATA');
    if (!info.isFile()) throw new UserError(`${this.metadataFile} is not a file (a folder?): an Evalset needs ROOT/metadata.csv as a CSV file.`, 'E_DATA');
  }

  async *samples(): AsyncGenerator<Sample> {
    const seen = new Map<string, number>();
    this.duplicates = [];
    const records = readCsvRecords(this.metadataFile, (columns) => checkColumns(columns, this.metadataFile), { requireRows: true });
    for await (const { record, line } of records) {
      const id = record.image_path;
      const label = parseLabel(record.label);
      if (label === undefined) {
        throw new UserError(`${this.metadataFile}:${line}: label '${record.label}' is not real/fake (or 0/1).`, 'E_DATA');
      }
      if (!id) throw new UserError(`${this.metadataFile}:${line}: empty image_path.`, 'E_DATA');
      const firstLine = seen.get(id);
      if (firstLine !== undefined) {
        if (this.options.strict) throw new UserError(`${this.metadataFile}:${line}: image_path '${id}' appears twice (first on line ${firstLine}).`, 'E_DATA');
        this.duplicates.push({ line, imagePath: id, firstLine });
        continue;
      }
      seen.set(id, line);
      const pairId = record.image_id ? pairIdOf(record.image_id, record.dataset) : id;
      // The path is checked (inside the data folder, a regular file) when it is read, so a bad one fails only its row.
      yield { id, path: resolveDataPath(this.root, withImageExtension(id)), root: this.root, label, pairId, meta: record };
    }
  }
}

/** Throws a UserError naming the first required column `columns` lacks, with a near miss. */
export function checkColumns(columns: string[], file: string): void {
  for (const required of REQUIRED_COLUMNS) {
    if (columns.includes(required)) continue;
    const hint = nearest(required, columns);
    throw new UserError(
      `${file} is missing the required column '${required}'${hint ? ` (found '${hint}': misspelt?)` : ''}. ` +
        `Required: ${REQUIRED_COLUMNS.join(', ')}.`,
      'E_DATA',
    );
  }
}
