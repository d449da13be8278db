import { parentPort, workerData } from 'node:worker_threads';
import { assignSlices } from './assign.js';
import type { Bins } from './bins.js';
import { readMetadata } from './metadata.js';
import type { ColumnNeeds, PlannedSlice } from './plan.js';

/**
 * The worker side of a large report's metadata: reads the pairs, the slice columns (and the fingerprint) and
 * assigns every slice, while the main thread reads ids and predictions. Typed arrays are transferred, not copied.
 */
const { dataDir, needs, planned, fixedBins } = workerData as { dataDir: string; needs: ColumnNeeds; planned: PlannedSlice[]; fixedBins?: Map<string, Bins> };
try {
  const table = await readMetadata(dataDir, needs, 'columns');
  const slices = assignSlices(planned, table, fixedBins);
  const transfer = [
    table.pair.buffer,
    ...slices.map((s) => s.codes.buffer),
    ...[...table.categorical.values()].map((c) => c.codes.buffer),
    ...[...table.numeric.values()].map((v) => v.buffer),
  ].filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
  parentPort!.postMessage(
    { rowCount: table.rowCount, fingerprint: table.fingerprint, header: table.header, pair: table.pair, pairIds: table.pairIds, categorical: table.categorical, numeric: table.numeric, slices },
    transfer,
  );
} catch (error) {
  // UserErrors must reach the CLI as UserErrors: send their parts, not the object
  const e = error instanceof Error ? error : new Error(String(error));
  parentPort!.postMessage({ error: { name: e.name, message: e.message, code: (e as { code?: string }).code, stack: e.stack } });
}
