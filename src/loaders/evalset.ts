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

/** Parses the Evalset `label` column ('real' / 'fake', or 0 / 1); undefined for anything else. */
export function parseLabel(value: string | undefined): 0 | 1 | undefined {
  return value === undefined ? undefined : LABELS[value.trim().toLowerCase()];
}

/**
 * The Semi-Truths Evalset layout: `ROOT/metadata.csv` plus image files at the relative paths its
 * `image_path` column names (relative to ROOT; an absolute path must also lie inside ROOT). A sample's id is its image_path (unique); its pairId is `image_id`, which a real
 * image shares with every edit of it.
 */
export class EvalsetSource implements DataSource {
  readonly root: string;
  readonly metadataFile: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.metadataFile = join(this.root, 'metadata.csv');
    const info = statSync(this.metadataFile, { throwIfNoEntry: false });
    if (!info) throw new UserError(`No metadata.csv in ${this.root}: an Evalset folder needs ROOT/metadata.csv.`, 'E_DATA');
    if (!info.isFile()) throw new UserError(`${this.metadataFile} is not a file (a folder?): an Evalset needs ROOT/metadata.csv as a CSV file.`, 'E_DATA');
  }

  async *samples(): AsyncGenerator<Sample> {
    const seen = new Set<string>();
    const records = readCsvRecords(this.metadataFile, (columns) => checkColumns(columns, this.metadataFile), { requireRows: true });
    for await (const { record, line } of records) {
      const id = record.image_path;
      const label = parseLabel(record.label);
      if (label === undefined) {
        throw new UserError(`${this.metadataFile}:${line}: label '${record.label}' is not real/fake (or 0/1).`, 'E_DATA');
      }
      if (!id) throw new UserError(`${this.metadataFile}:${line}: empty image_path.`, 'E_DATA');
      if (seen.has(id)) throw new UserError(`${this.metadataFile}:${line}: image_path '${id}' appears twice.`, 'E_DATA');
      seen.add(id);
      // The path is checked (inside the data folder, a regular file) when it is read, so a bad one fails only its row.
      yield { id, path: resolveDataPath(this.root, id), root: this.root, label, pairId: record.image_id || id, meta: record };
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
