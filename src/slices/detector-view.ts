import type { MetadataTable } from './metadata.js';
import { sortRowsByScoreDesc } from './rank.js';
import { STATUS, type DetectorScores } from './scores.js';

/**
 * What each rank position holds (DetectorView.rankedWin): a paired fake's 2AFC outcome against its own real
 * (0 lose, 1 tie, 2 win: twice the 2AFC credit), an unpaired fake, or a real. One byte carries label and outcome.
 */
export const WIN = { lose: 0, tie: 1, win: 2, unpaired: 3, real: 4 } as const;

/** The metadata a detector's ranking needs (plain typed arrays: it crosses to worker threads). */
export type MetaCore = Pick<MetadataTable, 'rowCount' | 'label' | 'pair' | 'pairIds'>;

/** One detector's usable scores, ranked once for every slice of the report. */
export interface DetectorView {
  detector: string;
  meta: MetaCore;
  scores: DetectorScores;
  /** Metadata rows with a usable score (status ok), highest score first, ties by row. */
  order: Int32Array;
  /** Score, label and pair code at each rank position (k ↔ order[k]): groups gather from these in order. */
  rankedScore: Float64Array;
  rankedLabel: Uint8Array;
  rankedPair: Int32Array;
  /** Label and 2AFC outcome at each rank position, in one byte (WIN codes). */
  rankedWin: Uint8Array;
  /** Per pair code: the score of that source image's real, NaN when it has none with a usable score. */
  realScoreOfPair: Float64Array;
  /** Pair codes of scored reals, highest score first (each source image once). */
  realPairsDesc: Int32Array;
  /** Reals whose image_id another real already has (the first one in metadata order is used). */
  duplicateRealPairs: number;
  /** Pair code → position in realPairsDesc (-1: no scored real). */
  realRankOfPair: Int32Array;
}

/** Ranks a detector's scored rows and indexes its reals by source image. */
export function detectorView(meta: MetaCore, scores: DetectorScores): DetectorView {
  let ok = 0;
  for (let i = 0; i < meta.rowCount; i++) if (scores.status[i] === STATUS.ok) ok++;
  const rows = new Int32Array(ok);
  for (let i = 0, j = 0; i < meta.rowCount; i++) if (scores.status[i] === STATUS.ok) rows[j++] = i;
  const order = sortRowsByScoreDesc(rows, scores.score);

  const realScoreOfPair = new Float64Array(meta.pairIds.length).fill(NaN);
  const owner = new Int32Array(meta.pairIds.length).fill(-1);
  let duplicateRealPairs = 0;
  for (let i = 0; i < meta.rowCount; i++) {
    if (meta.label[i] !== 0 || scores.status[i] !== STATUS.ok) continue;
    const p = meta.pair[i];
    if (owner[p] >= 0) {
      duplicateRealPairs++;
      continue;
    }
    owner[p] = i;
    realScoreOfPair[p] = scores.score[i];
  }
  // one pass in rank order (each row's metadata read once): the ranked columns and the reals in score order
  const pairs: number[] = [];
  const rankedScore = new Float64Array(order.length);
  const rankedLabel = new Uint8Array(order.length);
  const rankedPair = new Int32Array(order.length);
  const rankedWin = new Uint8Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const r = order[k];
    const s = scores.score[r];
    const p = meta.pair[r];
    const label = meta.label[r];
    rankedScore[k] = s;
    rankedLabel[k] = label;
    rankedPair[k] = p;
    const real = realScoreOfPair[p];
    rankedWin[k] = label === 0 ? WIN.real : Number.isNaN(real) ? WIN.unpaired : s > real ? WIN.win : s === real ? WIN.tie : WIN.lose;
    if (label === 0 && owner[p] === r) pairs.push(p);
  }
  const realPairsDesc = Int32Array.from(pairs);
  const realRankOfPair = new Int32Array(meta.pairIds.length).fill(-1);
  for (let j = 0; j < realPairsDesc.length; j++) realRankOfPair[realPairsDesc[j]] = j;
  return {
    detector: scores.detector,
    meta,
    scores,
    order,
    rankedScore,
    rankedLabel,
    rankedPair,
    rankedWin,
    realScoreOfPair,
    realPairsDesc,
    duplicateRealPairs,
    realRankOfPair,
  };
}

/** Real id → score for every scored real (the `realScores` argument of metrics' computeMetrics). */
export function realScoreMap(view: DetectorView): Map<string, number> {
  const map = new Map<string, number>();
  for (let k = 0; k < view.realPairsDesc.length; k++) {
    const p = view.realPairsDesc[k];
    map.set(view.meta.pairIds[p], view.realScoreOfPair[p]);
  }
  return map;
}
