import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { findArchives } from '../loaders/archives.js';
import { FullReleaseSource } from '../loaders/release.js';
import { findTenPercentParts } from '../loaders/ten-percent.js';
import { writeAtomic } from '../reports/csv.js';
import { silentProgress, type Progress } from '../runner/progress.js';
import { chunk, mapOrdered } from '../runner/stream.js';
import { DEFAULT_ARCHIVE_CACHE_MIB } from '../config/defaults.js';
import { ArchivedPairs, type ArchiveReport } from './archived-pairs.js';
import { OUTPUT_COLUMNS } from './columns.js';
import { finalizeTable, type BinsReport } from './finalize.js';
import { loadLearnedMetrics, type ModelStatus } from './learned/registry.js';
import { extractedFiles, releaseUnits, writeReleaseTable } from './release-table.js';
import { MeasuredStore, type MeasuredRow } from './measured-store.js';
import { createRowMeasurer } from './measure-row.js';
import type { ProblemKind } from './problems.js';
import type { Prefer, TwinComparison } from './released.js';
import type { MissingValue } from './bins.js';
import { SEMITRUTHS_QC, type QcConfig, type QcSummary } from './qc.js';
import { indexTable, planRow, readHeader, readTable, type MeasureTable, type PairPlan } from './table.js';

export interface MeasureOptions {
  table: MeasureTable;
  /** Folder of metric models (default models/metrics). */
  metricsDir: string;
  qc?: QcConfig;
  /** Rows appended and fsynced to the measured-rows log at a time. */
  batchSize?: number;
  /** Rows decoded and measured concurrently. */
  concurrency?: number;
  /** Forget the measured-rows log and measure everything again. */
  fresh?: boolean;
  /** Re-measure rows whose last measurement had a problem (e.g. after fixing a missing file). */
  retryErrors?: boolean;
  /** Pixel metrics only: leave the learned-metric columns as they are. */
  noLearned?: boolean;
  /** Leave brisque_score_orig / brisque_score_perturb as they are (the gate's BRISQUE rule then uses input values only). */
  noBrisque?: boolean;
  /**
   * Where the table has a released column of the same meaning (`ratio` for area_ratio, `ratio_rgb`, `ssim_rgb`,
   * `mse_rgb`): 'released' (default) keeps it in the column used downstream, 'measured' uses semibench's value.
   * Either way semibench's is also written to `<column>_measured` (released.ts).
   */
  prefer?: Prefer;
  /** An edited row without a value: in the last bin as final_bins.py (default 'lastBin'), or no category ('own'). */
  missingValue?: MissingValue;
  /** An Evalset read from its archives: the most original-image bytes held at once (archived-pairs.ts), default 512 MiB. */
  archiveCacheMiB?: number;
  progress?: Progress;
}

/** What a measure run did: written to measure.json and printed by the CLI. */
export interface MeasureResult {
  mode: MeasureTable['mode'];
  file: string;
  rows: number;
  pairs: number;
  /** Pairs measured by this run. */
  measured: number;
  /** Pairs already in the measured-rows log with every available model. */
  alreadyMeasured: number;
  /** Rows per problem kind (a row with two kinds counts in both). */
  problems: Partial<Record<ProblemKind, number>>;
  rowsWithProblems: number;
  models: ModelStatus[];
  qc: QcSummary;
  bins: BinsReport;
  /** Computed columns against the released columns of the same meaning: counts of rows that disagree. */
  released: TwinComparison[];
  /** Set when the images were read from .tar.bz2 archives in place. */
  archives?: ArchiveReport;
  files: { table: string; backup: string; log: string; bins: string; summary: string };
  wallMs: number;
}

/**
 * `semibench measure`: fills a table's change-metric, QC and category columns.
 * 1. backs the table up once (metadata.orig.csv), indexes its real images;
 * 2. streams the pairs that the measured-rows log lacks (or that miss a model loaded now; from the archives in
 *    place when the Evalset is archived: archived-pairs.ts), measures them with
 *    `concurrency` in flight, and appends + fsyncs the results every `batchSize` rows (a kill loses one batch);
 * 3. rewrites the table atomically with every column filled (finalize.ts), and writes bins.json + measure.json.
 */
export async function measure(options: MeasureOptions): Promise<MeasureResult> {
  const started = performance.now();
  const { table } = options;
  const qc = options.qc ?? SEMITRUTHS_QC;
  const progress = options.progress ?? silentProgress;
  // Index first: a table without the required columns is refused before anything is written.
  const release = table.release ? new FullReleaseSource(table.root) : undefined;
  if (release) await writeReleaseTable(table, release);
  const index = await indexTable(table);
  backupOnce(table);
  const owned = await ownedColumns(table.backupFile);
  const learned = await loadLearnedMetrics(options.metricsDir, { disabled: options.noLearned });
  const store = await MeasuredStore.open(table.storeFile, { fresh: options.fresh });
  const measurer = createRowMeasurer(learned.models, table.root, { brisque: !options.noBrisque });
  // An Evalset as released (restructured archives, or the first version's parts): images read from the archives in place.
  // (As `run` picks them, src/loaders/index.ts: the restructured archives win over the parts when both are there.)
  // The full release: its groups of archives (release-table.ts).
  const evalset = table.mode === 'evalset' && !release;
  const parts = evalset ? findTenPercentParts(table.root) : [];
  const archives = evalset ? findArchives(table.root).filter((a) => !parts.includes(a)) : [];
  const cacheBytes = (options.archiveCacheMiB ?? DEFAULT_ARCHIVE_CACHE_MIB) * 2 ** 20;
  const archived = release
    ? new ArchivedPairs(table.root, { units: await releaseUnits(release) }, cacheBytes)
    : archives.length > 0
      ? new ArchivedPairs(table.root, archives, cacheBytes)
      : parts.length > 0
        ? new ArchivedPairs(table.root, { parts }, cacheBytes)
        : undefined;
  // The release's groups present as extracted folders: a pair's path there is the file `run` would read.
  const extracted = release ? await extractedFiles(release) : undefined;
  const relocate = (path: string | undefined) => (path === undefined ? undefined : extracted?.get(path) ?? path);
  let measured = 0;
  let alreadyMeasured = 0;
  let errors = 0;
  try {
    const isDone = (row: MeasuredRow | undefined) =>
      row !== undefined && measurer.attempted.every((a) => row.attempted.includes(a)) && !(options.retryErrors && row.error !== '');
    async function* pending(): AsyncGenerator<PairPlan> {
      for await (const { record, line } of readTable(table)) {
        const plan = planRow(table, index, record, line);
        if (plan.role !== 'pair') continue;
        if (isDone(store.latest.get(plan.pair.key))) alreadyMeasured++;
        else if (!extracted?.size) yield plan.pair;
        else yield { ...plan.pair, realPath: relocate(plan.pair.realPath), editedPath: relocate(plan.pair.editedPath), maskPath: relocate(plan.pair.maskPath) };
      }
    }
    progress.start('measure', index.pairs, 0);
    const results = mapOrdered(archived ? archived.stream(pending()) : pending(), (pair) => measurer.measure(pair), Math.max(1, options.concurrency ?? 4));
    for await (const batch of chunk(results, Math.max(1, options.batchSize ?? 16))) {
      store.append(batch);
      measured += batch.length;
      errors += batch.filter((r) => r.error !== '').length;
      progress.tick(measured + alreadyMeasured, errors);
    }
  } finally {
    progress.stop();
    store.close();
    await learned.close();
  }

  const final = await finalizeTable(table, index, store.latest, qc, owned, options.prefer ?? 'released', options.missingValue ?? 'lastBin');
  const result: MeasureResult = {
    mode: table.mode,
    file: table.file,
    rows: index.rows,
    pairs: index.pairs,
    measured,
    alreadyMeasured,
    problems: final.problems,
    rowsWithProblems: final.rowsWithProblems,
    models: learned.statuses,
    qc: final.qc,
    bins: final.bins,
    released: final.released,
    ...(archived ? { archives: archived.report } : {}),
    files: { table: table.file, backup: table.backupFile, log: table.storeFile, bins: table.binsFile, summary: table.summaryFile },
    wallMs: performance.now() - started,
  };
  writeAtomic(table.binsFile, `${JSON.stringify(final.bins, null, 2)}\n`);
  writeAtomic(table.summaryFile, `${JSON.stringify({ ...result, bins: undefined, wallMs: Math.round(result.wallMs) }, null, 2)}\n`);
  return result;
}

/** Copies the table to its backup the first time (copy, fsync, rename: never a half backup). */
function backupOnce(table: MeasureTable): void {
  if (existsSync(table.backupFile)) return;
  const partial = `${table.backupFile}.partial`;
  copyFileSync(table.file, partial);
  const fd = openSync(partial, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(partial, table.backupFile);
}

/** Output columns the original table (the backup) did not have: measure alone decides their cells. */
async function ownedColumns(backup: string): Promise<Set<string>> {
  const header = await readHeader(backup);
  return new Set(OUTPUT_COLUMNS.filter((c) => !header.includes(c)));
}
