import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
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
 * `image_path` column names. A sample's id is its image_path (unique); its pairId is `image_id`, which a real
 * image shares with every edit of it.
 */
export class EvalsetSource implements DataSource {
  readonly root: string;
  readonly metadataFile: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.metadataFile = join(this.root, 'metadata.csv');
    if (!existsSync(this.metadataFile)) {
      throw new UserError(`No metadata.csv in ${this.root}: an Evalset folder needs ROOT/metadata.csv.`, 'E_DATA');
    }
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
      yield { id, path: join(this.root, id), label, pairId: record.image_id || id, meta: record };
    }
  }
}

function checkColumns(columns: string[], file: string): void {
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
