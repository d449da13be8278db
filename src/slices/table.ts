import { openDataSource } from '../loaders/index.js';
import { readPredictions } from '../runner/predictions.js';

/** Samples' metadata column-wise, in source order, with an index from sample id to row. */
export interface MetadataTable {
  ids: string[];
  index: Map<string, number>;
  label: Uint8Array;
  pairId: string[];
  columns: Record<string, string[]>;
}

/** Reads every sample's metadata from a data source (streamed; only the text columns are kept). */
export async function readMetadata(dataDir: string): Promise<MetadataTable> {
  const ids: string[] = [];
  const labels: number[] = [];
  const pairId: string[] = [];
  const columns: Record<string, string[]> = {};
  for await (const sample of openDataSource(dataDir).samples()) {
    const row = ids.length;
    ids.push(sample.id);
    labels.push(sample.label);
    pairId.push(sample.pairId);
    for (const [key, value] of Object.entries(sample.meta)) (columns[key] ??= new Array(row).fill(''))[row] = value ?? '';
    for (const values of Object.values(columns)) if (values.length === row) values.push('');
  }
  return { ids, index: new Map(ids.map((id, i) => [id, i])), label: Uint8Array.from(labels), pairId, columns };
}

/** One detector's scores aligned with the metadata rows (NaN = no usable score). */
export interface DetectorScores {
  detector: string;
  score: Float64Array;
  /** Rows with status error, and why (reason → count). */
  errors: Map<string, number>;
}

/** Reads predictions.csv into per-detector score arrays aligned with `meta`; ids not in the metadata are counted. */
export async function readScores(predictionsFile: string, meta: MetadataTable): Promise<{ detectors: DetectorScores[]; unknownIds: string[] }> {
  const byDetector = new Map<string, DetectorScores>();
  const unknownIds: string[] = [];
  for await (const row of readPredictions(predictionsFile)) {
    let d = byDetector.get(row.detector);
    if (!d) byDetector.set(row.detector, (d = { detector: row.detector, score: new Float64Array(meta.ids.length).fill(NaN), errors: new Map() }));
    const i = meta.index.get(row.sample_id);
    if (i === undefined) {
      unknownIds.push(row.sample_id);
      continue;
    }
    if (row.status === 'ok' && row.score !== null) d.score[i] = row.score;
    else d.errors.set(row.error, (d.errors.get(row.error) ?? 0) + 1);
  }
  return { detectors: [...byDetector.values()], unknownIds };
}
