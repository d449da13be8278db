import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { parseLabel } from '../loaders/index.js';
import { PREDICTION_COLUMNS } from '../runner/predictions.js';
import { fieldNumber, fieldText, scanCsv } from '../loaders/csv.js';
import { UserError } from '../util/errors.js';
import { csvText, DATA_FILE } from './csv.js';
import { nearest } from '../util/suggest.js';

/** One predictions file to import, and the detector name its rows get. */
export interface ImportSource {
  detector: string;
  file: string;
}

/** Which column of a notebook-style file becomes the score. */
export type ScoreColumn = 'probability' | 'prediction';

/** What an import did, per file. */
export interface ImportSummary {
  file: string;
  detector: string;
  format: 'semibench' | 'notebook';
  rows: number;
  /** Rows with no usable prediction (written as status error, so reports count them in n_error). */
  noPrediction: number;
  scoreColumn?: ScoreColumn;
  /** Notebook rows whose `prediction` disagrees with `probability >= 0.5` (rounding to 2 decimals does this). */
  disagreements?: number;
}

/** `NAME=FILE`, or `FILE` (the detector is then the file name without its extension). */
export function parsePredictionsArg(arg: string): ImportSource {
  const eq = arg.indexOf('=');
  if (eq > 0 && !arg.slice(0, eq).includes('/')) return { detector: arg.slice(0, eq), file: arg.slice(eq + 1) };
  return { detector: basename(arg, extname(arg)), file: arg };
}

const ID_COLUMNS = ['sample_id', 'image_path'];
const BATCH = 50_000;

/**
 * Writes a semibench predictions.csv from other predictions files, so `report` can slice them:
 *
 * - a semibench predictions.csv (sample_id, detector, score, status, ...) is copied as is;
 * - a notebook-style CSV (the Semi-Truths evaluation notebook's per-detector files: the eval metadata plus
 *   `prediction` and `probability` columns) becomes one row per image, id = `image_path` (the Evalset sample
 *   id), score = `probability` (default when present) or the hard `prediction` (0/1, real/fake). With
 *   `prediction` and threshold 0.5 the notebook's own decisions are reproduced exactly. Rows with no value
 *   (NaN, empty) are written as errors: the notebook drops them, reports count them.
 */
export function importPredictions(sources: readonly ImportSource[], outFile: string, opts: { score?: ScoreColumn } = {}): ImportSummary[] {
  mkdirSync(dirname(outFile), { recursive: true });
  const tmp = `${outFile}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, csvText([PREDICTION_COLUMNS], DATA_FILE));
    const summaries = sources.map((source) => importOne(source, fd, opts.score));
    closeSync(fd);
    renameSync(tmp, outFile);
    return summaries;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function importOne(source: ImportSource, fd: number, wanted: ScoreColumn | undefined): ImportSummary {
  const summary: ImportSummary = { file: source.file, detector: source.detector, format: 'notebook', rows: 0, noPrediction: 0 };
  let batch: string[][] = [];
  const flush = (): void => {
    if (batch.length) writeSync(fd, csvText(batch, DATA_FILE));
    batch = [];
  };
  let col: Record<string, number> = {};
  scanCsv(source.file, {
    onHeader: (columns) => {
      col = Object.fromEntries(columns.map((c, i) => [c, i]));
      if ('score' in col && 'detector' in col && 'sample_id' in col) {
        summary.format = 'semibench';
        return columns.length;
      }
      const id = ID_COLUMNS.find((c) => c in col);
      if (!id) throw new UserError(`${source.file}: no sample id column (${ID_COLUMNS.join(' or ')}). ${hint(columns, 'image_path')}`, 'E_DATA');
      col.id = col[id];
      const scoreColumn = wanted ?? ('probability' in col ? 'probability' : 'prediction');
      if (!(scoreColumn in col)) throw new UserError(`${source.file}: no '${scoreColumn}' column. ${hint(columns, scoreColumn)}`, 'E_DATA');
      summary.scoreColumn = scoreColumn;
      if ('prediction' in col && 'probability' in col) summary.disagreements = 0;
      return columns.length;
    },
    onRow: (row) => {
      summary.rows++;
      if (summary.format === 'semibench') {
        batch.push(PREDICTION_COLUMNS.map((c) => (c in col ? fieldText(row, col[c]) : '')));
      } else {
        const label = 'label' in col ? parseLabel(fieldText(row, col.label)) : undefined;
        const probability = 'probability' in col ? fieldNumber(row, col.probability) : NaN;
        const prediction = 'prediction' in col ? hardPrediction(fieldText(row, col.prediction)) : NaN;
        if (summary.disagreements !== undefined && Number.isFinite(prediction) && Number.isFinite(probability) && prediction !== (probability >= 0.5 ? 1 : 0)) {
          summary.disagreements++;
        }
        const score = summary.scoreColumn === 'probability' ? probability : prediction;
        const ok = Number.isFinite(score);
        if (!ok) summary.noPrediction++;
        batch.push([
          fieldText(row, col.id),
          source.detector,
          ok ? String(score) : '',
          label === undefined ? '' : String(label),
          ok ? 'ok' : 'error',
          ok ? '' : `no ${summary.scoreColumn} in ${basename(source.file)} (the notebook drops such rows)`,
          ...Array<string>(PREDICTION_COLUMNS.length - 6).fill(''), // ms, cache_key and score identity: unknown
        ]);
      }
      if (batch.length >= BATCH) flush();
    },
  });
  flush();
  return summary;
}

/** The notebook's hard label: 1/0, 1.0/0.0, fake/real, true/false; NaN for anything else. */
function hardPrediction(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'fake' || t === 'true') return 1;
  if (t === 'real' || t === 'false') return 0;
  if (t === '') return NaN;
  const v = Number(t);
  return v === 0 || v === 1 ? v : NaN;
}

function hint(columns: string[], wanted: string): string {
  const near = nearest(wanted, columns);
  return near ? `Did you mean '${near}'? ` : `Columns: ${columns.join(', ')}.`;
}
