import { join } from 'node:path';
import type { BenchConfig } from '../config/schema.js';
import { listDetectors } from '../detectors/registry.js';
import { assignSlices, type AssignedSlice } from '../slices/assign.js';
import { aggregateSlice, type SliceRow } from '../slices/aggregate.js';
import { ALL_SLICE } from '../slices/spec.js';
import { readMetadata, readScores } from '../slices/table.js';
import { UserError } from '../util/errors.js';
import { writeCsv } from './csv.js';

const SLICE_COLUMNS: (keyof SliceRow)[] = [
  'detector', 'slice', 'value', 'n_real', 'n_fake', 'threshold_policy', 'threshold', 'accuracy', 'recall_fake', 'specificity_real',
];

export interface ReportResult {
  files: string[];
  slices: AssignedSlice[];
  unknownIds: string[];
}

/** Re-slices a run's saved predictions against the eval set's metadata and writes OUT/slices/<slice>.csv. */
export async function writeSliceReports(runDir: string, config: BenchConfig): Promise<ReportResult> {
  const meta = await readMetadata(config.data);
  const { detectors, unknownIds } = await readScores(join(runDir, 'predictions.csv'), meta);
  const all: AssignedSlice = { spec: { name: ALL_SLICE, column: '' }, values: meta.ids.map(() => ALL_SLICE) };
  const slices = [all, ...assignSlices(config.slices, { columns: meta.columns, label: meta.label, rowCount: meta.ids.length })];
  const manifests = new Map(listDetectors(config).map((e) => [e.manifest.name, e.manifest]));
  const files: string[] = [];
  for (const slice of slices) {
    const rows = detectors.flatMap((d) => aggregateSlice(slice, meta, d, threshold(config.threshold, manifests.get(d.detector)?.output.threshold)));
    const file = join(runDir, 'slices', `${slice.spec.name}.csv`);
    writeCsv(file, rows, SLICE_COLUMNS);
    files.push(file);
  }
  return { files, slices, unknownIds };
}

function threshold(policy: string, native: number | undefined): { policy: string; value: number } {
  if (policy === 'native') {
    if (native === undefined) throw new UserError('Threshold policy native: the detector has no manifest here.', 'E_CONFIG');
    return { policy, value: native };
  }
  const value = Number(policy);
  if (!(value >= 0 && value <= 1)) throw new UserError(`Threshold '${policy}' must be a number in [0, 1] or 'native'.`, 'E_CONFIG');
  return { policy, value };
}
