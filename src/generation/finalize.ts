import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { csvText, DATA_FILE } from '../reports/csv.js';
import { BinBasis, categorize, type ColumnBins, type MissingValue } from './bins.js';
import { classifyLocalization, LOCALIZATION_PARAMS } from './change/index.js';
import {
  BINNED_COLUMNS,
  category3Column,
  category5Column,
  formatValue,
  METRIC_COLUMNS,
  OUTPUT_COLUMNS,
  parseValue,
  type BinnedColumn,
  type MetricColumn,
} from './columns.js';
import { valueOf, type MeasuredRow } from './measured-store.js';
import { dropsRow, problemKindsOf, type ProblemKind } from './problems.js';
import { applyQc, QcTally, type QcConfig, type QcOutcome, type QcSummary } from './qc.js';
import { SceneIndex, sceneCategory, type SceneStats } from './scene.js';
import { measuredColumn, releasedValue, twinsOf, TwinTally, type Prefer, type ReleasedTwin, type TwinComparison } from './released.js';
import { planRow, readHeader, readTable, type MeasureTable, type RowPlan, type TableIndex } from './table.js';

/** What the derived columns were computed from: written to bins.json so every category can be traced to its edges. */
export interface BinsReport {
  basis: { rows: number; passQc1: number; passQcEmpty: number; rule: string };
  percentiles: string;
  columns: Partial<Record<BinnedColumn, ColumnBins & { categoryColumns: [string, string]; missingValues: { rows: number; to: string } }>>;
  localization: { meanClusters: number | null; over: string; largestShare: number; imageArea: number; distThreshold: number };
  scene: SceneStats;
}

export interface FinalizeResult {
  qc: QcSummary;
  bins: BinsReport;
  problems: Partial<Record<ProblemKind, number>>;
  rowsWithProblems: number;
  /** Computed columns against their released twins (released.ts). */
  released: TwinComparison[];
}

/**
 * Writes the measured table: every input row and column kept, the metric columns filled from the measured-rows
 * log, then the derived columns (localization, pass_qc, categories, scene). Two streaming passes: the first
 * collects QC accounting, bin-edge values and scene statistics; the second writes the CSV to a temporary file,
 * fsyncs it and renames it over the original, so a kill never leaves a half-written table.
 *
 * `owned` are the output columns the original table did not have: measure fills them alone. A column the original
 * already had (e.g. the released `lpips_score`) keeps its input value on rows measure could not compute.
 */
export async function finalizeTable(
  table: MeasureTable,
  index: TableIndex,
  measured: ReadonlyMap<string, MeasuredRow>,
  qc: QcConfig,
  owned: ReadonlySet<string>,
  prefer: Prefer = 'released',
  missingValue: MissingValue = 'lastBin',
): Promise<FinalizeResult> {
  const header = await readHeader(table.file);
  const twins = twinsOf(header);
  const view = new RowView(table, index, measured, owned, qc, twins, prefer);
  const twinTally = new TwinTally(twins, prefer);

  // Pass 1: statistics.
  const tally = new QcTally(qc);
  const basis = new BinBasis();
  const scene = new SceneIndex();
  const problems: Partial<Record<ProblemKind, number>> = {};
  let rowsWithProblems = 0;
  let basisRows = 0;
  const passCounts = { '1': 0, '': 0 };
  // Edited rows without a value, per binned column (area_ratio: rows with a mask only).
  const missing = Object.fromEntries(BINNED_COLUMNS.map((c) => [c, 0])) as Record<BinnedColumn, number>;
  // Running sums for mean(cc_clusters): over the bin basis, and over every measured row as a fallback.
  const clusters = { basis: new Mean(), all: new Mean() };
  for await (const { record, line } of readTable(table)) {
    const row = view.row(record, line);
    scene.addRow(row.plan.group, record.entities, row.plan.role === 'pair', record.mask_id);
    if (row.plan.role !== 'pair') continue;
    for (const twin of twins) twinTally.add(twin, row.measuredValue(twin.column), row.released(twin));
    for (const column of BINNED_COLUMNS) if (binnable(row, column) && row.value(column) === undefined) missing[column]++;
    const { qcOutcome, error } = row;
    const dropped = dropsRow(error);
    tally.add(qcOutcome!, dropped);
    const kinds = problemKindsOf(error);
    if (kinds.length > 0) rowsWithProblems++;
    for (const kind of new Set(kinds)) problems[kind] = (problems[kind] ?? 0) + 1;
    const cc = row.value('cc_clusters');
    if (!dropped && cc !== undefined) clusters.all.add(cc);
    if (dropped || qcOutcome!.passQc === '0') continue;
    basisRows++;
    passCounts[qcOutcome!.passQc]++;
    for (const column of BINNED_COLUMNS) basis.add(column, row.value(column));
    if (cc !== undefined) clusters.basis.add(cc);
  }
  const edges = basis.edges();
  const meanOver = clusters.basis.n > 0 ? 'rows the bins are computed over' : 'all measured rows without a failing measure_error (no row passed QC)';
  const meanClusters = (clusters.basis.n > 0 ? clusters.basis : clusters.all).value();
  const sceneStats = scene.stats();

  // Pass 2: write.
  const added = [...OUTPUT_COLUMNS, ...twins.map(measuredColumn)];
  const columns = [...header, ...added.filter((c) => !header.includes(c))];
  const partial = `${table.file}.partial`;
  const fd = openSync(partial, 'w');
  try {
    writeSync(fd, csvText([columns], DATA_FILE));
    let buffer: string[][] = [];
    for await (const { record, line } of readTable(table)) {
      const derived = view.derivedCells(view.row(record, line), record, { edges, meanClusters, scene, sceneStats, missingValue });
      buffer.push(columns.map((c) => (c in derived ? derived[c] : record[c] ?? '')));
      if (buffer.length >= 1000) {
        writeSync(fd, csvText(buffer, DATA_FILE));
        buffer = [];
      }
    }
    if (buffer.length > 0) writeSync(fd, csvText(buffer, DATA_FILE));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, table.file);

  const bins: BinsReport = {
    basis: {
      rows: basisRows,
      passQc1: passCounts['1'],
      passQcEmpty: passCounts[''],
      rule: 'edited rows without a failing measure_error whose pass_qc is 1, or empty because no QC rule could be applied; inpainting and prompt-based together (area_ratio: rows with a mask only)',
    },
    percentiles: 'numpy.percentile default (linear); 3 bins at P25/P75 (small/medium/large), 5 bins at P20/P40/P60/P80 (bin1..bin5); v < e1 → first label, v >= last edge → last label',
    columns: Object.fromEntries(
      Object.entries(edges).map(([column, b]) => [
        column,
        {
          ...b,
          categoryColumns: [category5Column(column as BinnedColumn), category3Column(column as BinnedColumn)],
          missingValues: { rows: missing[column as BinnedColumn], to: missingValue === 'lastBin' ? 'bin5 / large (final_bins.py: no value fails every < edge)' : 'no category' },
        },
      ]),
    ),
    localization: { meanClusters: Number.isFinite(meanClusters) ? meanClusters : null, over: meanOver, ...LOCALIZATION_PARAMS },
    scene: sceneStats,
  };
  return { qc: tally.summary(), bins, problems, rowsWithProblems, released: twinTally.summary() };
}

/** One input row as finalize sees it: its plan, merged metric values, QC outcome and measure_error. */
interface RowState {
  plan: RowPlan;
  measured?: MeasuredRow;
  error: string;
  qcOutcome?: QcOutcome;
  /** The value used downstream: semibench's, or the released twin's where preferred (released.ts). */
  value(column: MetricColumn): number | undefined;
  /** semibench's own value (or the input's, for a column measure could not compute). */
  measuredValue(column: MetricColumn): number | undefined;
  /** The row's released twin value. */
  released(twin: ReleasedTwin): number | undefined;
}

interface DerivedContext {
  edges: Partial<Record<BinnedColumn, ColumnBins>>;
  meanClusters: number;
  scene: SceneIndex;
  sceneStats: SceneStats;
  missingValue: MissingValue;
}

/** Merges a row's input cells with its measured values, the same way in both passes. */
class RowView {
  constructor(
    private readonly table: MeasureTable,
    private readonly index: TableIndex,
    private readonly measured: ReadonlyMap<string, MeasuredRow>,
    private readonly owned: ReadonlySet<string>,
    private readonly qc: QcConfig,
    private readonly twins: readonly ReleasedTwin[],
    private readonly prefer: Prefer,
  ) {}

  row(record: Record<string, string>, line: number): RowState {
    const plan = planRow(this.table, this.index, record, line);
    if (plan.role !== 'pair') return { plan, error: '', value: () => undefined, measuredValue: () => undefined, released: () => undefined };
    const measured = this.measured.get(plan.pair.key);
    const measuredValue = (column: MetricColumn): number | undefined => {
      const v = measured ? valueOf(measured, column) : undefined;
      // A column the input already had keeps its value where measure has none (e.g. no model for it).
      return v !== undefined || this.owned.has(column) ? v : parseValue(record[column]);
    };
    const released = (twin: ReleasedTwin) => releasedValue(twin, record, plan.pair.inpainting);
    const value = (column: MetricColumn): number | undefined => {
      const twin = this.twins.find((t) => t.column === column);
      if (!twin) return measuredValue(column);
      const [mine, theirs] = [measuredValue(column), released(twin)];
      return this.prefer === 'released' ? theirs ?? mine : mine ?? theirs;
    };
    // A pair with no log record was never measured (the run stopped early): say so rather than pass it silently.
    const error = measured ? measured.error : 'bad_input: not measured';
    const metric = (name: string) => ((METRIC_COLUMNS as readonly string[]).includes(name) ? value(name as MetricColumn) : parseValue(record[name]));
    return { plan, measured, error, value, measuredValue, released, qcOutcome: applyQc(this.qc.rules, metric, dropsRow(error)) };
  }

  /** The cells of every output column for one row. */
  derivedCells(row: RowState, record: Record<string, string>, ctx: DerivedContext): Record<string, string> {
    const cells: Record<string, string> = {};
    const group = row.plan.group;
    const diversity = ctx.scene.diversity(group);
    const complexity = ctx.scene.complexity(group);
    cells.scene_diversity = formatValue(diversity);
    cells.scene_complexity = formatValue(complexity);
    cells.scene_diversity_category = sceneCategory(diversity, ctx.sceneStats.diversity);
    cells.scene_complexity_category = sceneCategory(complexity, ctx.sceneStats.complexity);
    const isPair = row.plan.role === 'pair';
    for (const column of METRIC_COLUMNS) cells[column] = isPair ? formatValue(row.value(column)) : '';
    cells.measure_error = row.error;
    cells.pass_qc = row.qcOutcome?.passQc ?? '';
    cells.localization = isPair ? localization(row, ctx.meanClusters) : '';
    for (const column of BINNED_COLUMNS) {
      const { category5, category3 } = binnable(row, column) ? categorize(row.value(column), ctx.edges[column], ctx.missingValue) : { category5: '', category3: '' };
      cells[category5Column(column)] = category5;
      cells[category3Column(column)] = category3;
    }
    // Columns the input already had keep their input value wherever measure has nothing to put there.
    for (const column of Object.keys(cells)) {
      if (cells[column] === '' && !this.owned.has(column)) cells[column] = record[column] ?? '';
    }
    for (const twin of this.twins) cells[measuredColumn(twin)] = isPair ? formatValue(row.measuredValue(twin.column)) : '';
    return cells;
  }
}

/** Edited rows get every binned column's category; area_ratio only rows with a mask (binning.py bins it on inpainting.csv). */
function binnable(row: RowState, column: BinnedColumn): boolean {
  return row.plan.role === 'pair' && (column !== 'area_ratio' || row.plan.pair.inpainting);
}

function localization(row: RowState, meanClusters: number): string {
  const largestComponentSize = row.value('largest_component_size');
  const ccClusters = row.value('cc_clusters');
  const clusterDist = row.value('cluster_dist');
  if (largestComponentSize === undefined || ccClusters === undefined || clusterDist === undefined) return '';
  return classifyLocalization([{ largestComponentSize, ccClusters, clusterDist }], { meanClusters })[0];
}

/** np.mean of small integers (their float64 sum is exact in any order); NaN for none. */
class Mean {
  n = 0;
  private sum = 0;

  add(v: number): void {
    this.sum += v;
    this.n++;
  }

  value(): number {
    return this.n === 0 ? NaN : this.sum / this.n;
  }
}
