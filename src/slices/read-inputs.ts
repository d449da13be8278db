import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import { workerEntry } from '../util/worker-entry.js';
import { assignSlices, type AssignedSlice } from './assign.js';
import type { DataSource } from '../loaders/index.js';
import type { Bins } from './bins.js';
import { metadataCsv, readMetadata, type CategoricalColumn, type MetadataTable } from './metadata.js';
import type { ColumnNeeds, PlannedSlice } from './plan.js';
import { readScores, type ScoreTable } from './scores.js';

/** metadata.csv size above which a report reads its two halves on two threads. */
export const PARALLEL_METADATA_BYTES = 32 * 1024 * 1024;

/** What a report reads: the metadata (needed columns), the predictions, and every planned slice assigned. */
export interface Inputs {
  meta: MetadataTable;
  scores: ScoreTable;
  slices: AssignedSlice[];
}

/**
 * Reads metadata and predictions and assigns the slices. For a large metadata.csv a worker thread reads
 * labels, pairs and the slice columns and assigns the slices while this thread reads ids and labels and
 * joins the predictions; the pairs come from the worker (interned once), the labels from both (each half
 * checks every row). Without a metadata.csv the table is listed from `source` (see readColumns).
 */
export async function readInputs(
  dataDir: string,
  needs: ColumnNeeds,
  planned: PlannedSlice[],
  predictionsFile: string,
  opts: { fixedBins?: ReadonlyMap<string, Bins>; workers?: number; source?: DataSource } = {},
): Promise<Inputs> {
  const csv = metadataCsv(dataDir);
  const parallel = csv !== undefined && opts.workers !== 1 && (opts.workers === 2 || (statSync(csv).size >= PARALLEL_METADATA_BYTES && availableParallelism() >= 2));
  if (!parallel) {
    const meta = await readMetadata(dataDir, needs, 'all', opts.source);
    const scores = readScores(predictionsFile, meta);
    return { meta, scores, slices: assignSlices(planned, meta, opts.fixedBins) };
  }
  const columns = columnsInWorker(dataDir, needs, planned, opts.fixedBins);
  columns.catch(() => {}); // surfaced at the await below
  const core = await readMetadata(dataDir, needs, 'core');
  const scores = readScores(predictionsFile, core);
  const half = await columns;
  if (half.rowCount !== core.rowCount) throw new Error(`metadata halves disagree: ${half.rowCount} vs ${core.rowCount} rows`);
  const meta: MetadataTable = { ...core, fingerprint: half.fingerprint, pair: half.pair, pairIds: half.pairIds, categorical: half.categorical, numeric: half.numeric };
  return { meta, scores, slices: half.slices };
}

interface ColumnsHalf {
  rowCount: number;
  fingerprint: string;
  pair: Int32Array;
  pairIds: string[];
  categorical: Map<string, CategoricalColumn>;
  numeric: Map<string, Float64Array>;
  slices: AssignedSlice[];
}

function columnsInWorker(dataDir: string, needs: ColumnNeeds, planned: PlannedSlice[], fixedBins?: ReadonlyMap<string, Bins>): Promise<ColumnsHalf> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry('metadata-worker', import.meta.url), { workerData: { dataDir, needs, planned, fixedBins } });
    worker.once('message', (msg: ColumnsHalf & { error?: { name: string; message: string; code?: string; stack?: string } }) => {
      void worker.terminate();
      if (!msg.error) return resolve(msg);
      const { name, message, code, stack } = msg.error;
      reject(name === 'UserError' ? new UserError(message, code) : Object.assign(new Error(message), { stack }));
    });
    worker.once('error', reject);
  });
}
