import { existsSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { nearest } from '../util/suggest.js';
import { fieldEquals, fieldLatin1Transient, fieldNumber, fieldText, latin1ToUtf8, scanCsv } from '../loaders/csv.js';
import type { MetadataTable } from './metadata.js';

/** What a metadata row has from one detector. */
export const STATUS = {
  /** No prediction row for this sample. */
  missing: 0,
  ok: 1,
  /** The runner recorded an error (unreadable image, ...). */
  error: 2,
  /** status ok, but the score is NaN, ±Inf, empty or not a number: excluded. */
  nonFinite: 3,
  /** status ok, but the score is outside [0, 1] (it must be P(fake)): excluded. */
  outOfRange: 4,
} as const;

export const INVALID_REASONS: Record<number, string> = {
  [STATUS.nonFinite]: 'score is not a finite number (NaN, Inf, empty or text)',
  [STATUS.outOfRange]: 'score is outside [0, 1] (must be P(fake))',
};

/**
 * One detector's predictions under one stress condition, aligned with the metadata rows. The report treats each
 * (detector, condition) as its own detector named `detector@condition` ({@link conditionedName}), so every slice
 * comes out per condition with no engine of its own.
 */
export interface DetectorScores {
  /** The report's name: the detector's, with `@condition` unless clean. */
  detector: string;
  /** The detector's own name. */
  base: string;
  /** The stress condition (predictions.csv `condition`; 'none' when clean or absent). */
  condition: string;
  /** Per metadata row; meaningful where status is ok (then finite, in [0, 1], and never -0). */
  score: Float64Array;
  status: Uint8Array;
  counts: { ok: number; error: number; nonFinite: number; outOfRange: number; missing: number; duplicates: number };
  /** Error text → rows (status error). */
  errors: Map<string, number>;
}

export interface ScoreTable {
  detectors: DetectorScores[];
  /** Prediction rows read. */
  rows: number;
  /** Prediction rows whose sample id is not in the metadata: count, and the first ids. */
  unknownIds: { count: number; ids: string[] };
}

const REQUIRED = ['sample_id', 'detector', 'score', 'status'] as const;
/** How many unknown ids results.json lists (the count is always exact). */
export const UNKNOWN_IDS_LISTED = 1000;

/** The report's name for a detector under a condition: the detector's own when clean. */
export const conditionedName = (detector: string, condition: string): string => (condition === 'none' ? detector : `${detector}@${condition}`);

/**
 * Reads predictions.csv into per-detector score arrays aligned with `meta`. Scanned column-wise: at 9 M rows
 * a JS object per row would cost more than the whole report. A (detector, sample) pair seen twice keeps the
 * last row and is counted in `duplicates`.
 */
export function readScores(file: string, meta: MetadataTable): ScoreTable {
  if (!existsSync(file)) throw new UserError(`No predictions file at ${file}: run \`semibench run\` first, or give --predictions.`, 'E_DATA');
  const byName = new Map<string, DetectorScores>();
  const unknown: string[] = [];
  let unknownCount = 0;
  let f = { id: -1, detector: -1, score: -1, status: -1, error: -1, condition: -1 };
  let current: DetectorScores | undefined;
  let currentName = '';
  let currentCondition = '';
  // per detector: the metadata row after the last one matched (the position guess for the next id)
  const cursors = new Map<DetectorScores, number>();
  let next = 0;
  const { rows } = scanCsv(file, {
    onHeader: (columns) => {
      for (const c of REQUIRED) {
        if (columns.includes(c)) continue;
        const hint = nearest(c, columns);
        throw new UserError(
          `${file} is missing the column '${c}'${hint ? ` (found '${hint}': misspelt?)` : ''}. A predictions file has ${REQUIRED.join(', ')}, error; ` +
            'for a notebook-style file (prediction/probability columns) use `semibench report --predictions FILE`.',
          'E_DATA',
        );
      }
      f = {
        id: columns.indexOf('sample_id'),
        detector: columns.indexOf('detector'),
        score: columns.indexOf('score'),
        status: columns.indexOf('status'),
        error: columns.indexOf('error'),
        condition: columns.indexOf('condition'),
      };
      return Math.max(...Object.values(f)) + 1;
    },
    onRow: (row) => {
      // rows come grouped by detector and condition: compare bytes with the last ones before decoding
      if (current === undefined || !fieldEquals(row, f.detector, currentName) || (f.condition >= 0 && !fieldEquals(row, f.condition, currentCondition))) {
        if (current) cursors.set(current, next);
        const base = fieldText(row, f.detector);
        const cell = f.condition >= 0 ? fieldText(row, f.condition) : '';
        const condition = cell === '' ? 'none' : cell;
        const name = conditionedName(base, condition);
        current = byName.get(name);
        if (!current) byName.set(name, (current = emptyScores(base, condition, meta.rowCount)));
        next = cursors.get(current) ?? 0;
        currentName = isAscii(base) ? base : '\u0000'; // non-ASCII names take the slow path every row
        currentCondition = isAscii(cell) ? cell : '\u0000';
      }
      // the runner writes each detector's rows in metadata order: compare the id's bytes with the row after the last one first
      const at = next < meta.rowCount && !row.escaped[f.id] && meta.ids.matches(next, row.buf, row.start[f.id], row.end[f.id]);
      const id = at ? '' : fieldLatin1Transient(row, f.id); // looked up, never kept
      const i = at ? next : meta.rowOf(id);
      if (i === undefined) {
        if (unknown.length < UNKNOWN_IDS_LISTED) unknown.push(latin1ToUtf8(id));
        unknownCount++;
        return;
      }
      next = i + 1;
      const d = current;
      if (d.status[i] !== STATUS.missing) d.counts.duplicates++;
      if (!fieldEquals(row, f.status, 'ok')) {
        d.status[i] = STATUS.error;
        const text = f.error >= 0 ? fieldText(row, f.error) : '';
        d.errors.set(text, (d.errors.get(text) ?? 0) + 1);
        return;
      }
      const s = fieldNumber(row, f.score);
      if (!Number.isFinite(s)) d.status[i] = STATUS.nonFinite;
      else if (s < 0 || s > 1) d.status[i] = STATUS.outOfRange;
      else {
        d.status[i] = STATUS.ok;
        d.score[i] = s + 0; // -0 → 0: the radix sort orders by bit pattern
      }
    },
  });
  const detectors = [...byName.values()];
  for (const d of detectors) tally(d);
  return { detectors, rows, unknownIds: { count: unknownCount, ids: unknown } };
}

function emptyScores(base: string, condition: string, n: number): DetectorScores {
  return {
    detector: conditionedName(base, condition),
    base,
    condition,
    score: new Float64Array(n),
    status: new Uint8Array(n),
    counts: { ok: 0, error: 0, nonFinite: 0, outOfRange: 0, missing: 0, duplicates: 0 },
    errors: new Map(),
  };
}

/** Counts statuses after the last duplicate has had its say (and errors overwritten by a later ok row). */
function tally(d: DetectorScores): void {
  const c = d.counts;
  c.ok = c.error = c.nonFinite = c.outOfRange = c.missing = 0;
  for (let i = 0; i < d.status.length; i++) {
    switch (d.status[i]) {
      case STATUS.ok: c.ok++; break;
      case STATUS.error: c.error++; break;
      case STATUS.nonFinite: c.nonFinite++; break;
      case STATUS.outOfRange: c.outOfRange++; break;
      default: c.missing++;
    }
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
