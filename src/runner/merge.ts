import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { joinProblems, type ArchiveProblems } from '../loaders/archives.js';
import { listSamples, openDataSource } from '../loaders/index.js';
import { readCsvRecords } from '../loaders/csv.js';
import { csvText, DATA_FILE, writeAtomic } from '../reports/csv.js';
import type { Attempt } from '../reports/run-json.js';
import { errorMessage, UserError } from '../util/errors.js';
import { toolVersions } from '../util/versions.js';
import { IDENTITY_COLUMNS, type ScoreIdentity } from './identity.js';
import { conditionOf, PREDICTION_COLUMNS } from './predictions.js';
import { lockRunFolder, type RunFolderLock } from './run-folder.js';
import type { DetectorOutcome } from './run.js';
import { formatShard, shardFiles, shardKey, shardOf, SHARDS_DIR, splitsIn, type Shard } from './shard.js';

/** What a shard's run.json holds that merge reads. */
interface ShardDoc {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  config: Record<string, unknown> & { data: string; protocol: string };
  data: { root: string; fingerprint: string; samples: number; problems?: ArchiveProblems };
  detectors: DetectorOutcome[];
  attempts: Attempt[];
  timings?: { wallMs: number };
}

export interface MergeResult {
  predictionsFile: string;
  runJson: string;
  shards: number;
  rows: number;
  samples: number;
  /** What every shard found wrong in the archives (run.json's data.problems), when the data is archived. */
  problems?: ArchiveProblems;
}

/**
 * Joins the shards of a run (OUT/shards/, written by `semibench run --shard i/n`) into OUT/predictions.csv and
 * OUT/run.json, as one process would have written them: rows by detector (run.json's order), then in the data's
 * order. Refuses, in one line, missing or unfinished shards, shards still running, and shards that are not of
 * one run (data fingerprint, protocol, detectors and their score identities). The caller holds OUT's lock.
 */
export async function mergeShards(out: string, options: { data?: string } = {}): Promise<MergeResult> {
  const count = shardCount(out);
  const shards = Array.from({ length: count }, (_, index): Shard => ({ index, count }));
  const missing = shards.filter((s) => !existsSync(shardFiles(out, s).runJson));
  if (missing.length > 0) {
    const names = missing.map(formatShard).join(', ');
    throw new UserError(`${out}: shard${missing.length > 1 ? 's' : ''} ${names} missing (no ${SHARDS_DIR}/run-I-of-${count}.json): run \`semibench run --shard ${formatShard(missing[0])} --out ${out}\`${missing.length > 1 ? ' for each' : ''}, then merge.`, 'E_DATA');
  }
  // Holding every shard's lock: none is still writing. A killed one's lock is taken over without a word: that
  // shard's unfinished run.json is the error.
  const locks: RunFolderLock[] = [];
  try {
    for (const s of shards) locks.push(lockRunFolder(out, () => {}, shardFiles(out, s).lock));
    const docs = shards.map((s) => readShardDoc(out, s));
    checkOneRun(docs, shards);
    const first = docs[0];
    const held = readPrevious(join(out, 'run.json')).data?.fingerprint;
    if (held && held !== first.data.fingerprint) {
      throw new UserError(`${out} already holds a run on other data (run.json: data fingerprint ${held}, the shards': ${first.data.fingerprint}): one folder holds one data set.`, 'E_DATA');
    }
    const dataDir = options.data ?? first.config.data;
    const ran = first.detectors.filter((d) => d.status === 'ran');
    const predictionsFile = join(out, 'predictions.csv');
    const { rows, samples } = await writeMerged(out, shards, dataDir, ran, predictionsFile);
    const runJson = join(out, 'run.json');
    // Each shard lists the problems of the archive groups it read: the run's are all of them.
    const problems = first.data.problems ? joinProblems(docs.map((d) => d.data.problems!).filter(Boolean)) : undefined;
    writeMergedRunJson(runJson, docs, shards, { dataDir, samples, problems });
    return { predictionsFile, runJson, shards: count, rows, samples, problems };
  } finally {
    for (const lock of locks) lock.release();
  }
}

/** The shard count of the shards in OUT/shards/: one split only. */
function shardCount(out: string): number {
  const counts = splitsIn(out);
  if (counts.length === 0) throw new UserError(`${out} has no shards (${SHARDS_DIR}/run-I-of-N.json): run \`semibench run --shard I/N --out ${out}\` for each shard first.`, 'E_DATA');
  if (counts.length > 1) throw new UserError(`${out}/${SHARDS_DIR} holds shards of more than one split (${counts.join(' and ')} shards): keep one split's files.`, 'E_DATA');
  return counts[0];
}

function readShardDoc(out: string, shard: Shard): ShardDoc {
  const file = shardFiles(out, shard).runJson;
  let doc: ShardDoc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`shard ${formatShard(shard)} incomplete: ${file} is not valid JSON (${errorMessage(error)}); rerun it with --shard ${formatShard(shard)}.`, 'E_DATA');
  }
  const last = doc.attempts?.[doc.attempts.length - 1];
  if (last?.status !== 'finished' || !doc.data?.fingerprint) {
    throw new UserError(`shard ${formatShard(shard)} incomplete (its last run did not finish): rerun it with \`semibench run --shard ${formatShard(shard)} --out ${out}\`, then merge.`, 'E_DATA');
  }
  return doc;
}

/** Every shard scored the same data with the same detectors, models and protocol as shard 0. */
function checkOneRun(docs: ShardDoc[], shards: Shard[]): void {
  docs.forEach((doc, i) => {
    const differs = runDifference(docs[0], doc, formatShard(shards[0]));
    if (differs) {
      throw new UserError(`shard ${formatShard(shards[i])} is not of the same run as shard ${formatShard(shards[0])}: ${differs}; rerun the shards that differ.`, 'E_DATA');
    }
  });
}

/**
 * The first way a shard's run differs from shard 0's (`first`, called `firstName`), in words; undefined when
 * none does. Detectors and their conditions are compared as sets: the merged files take their order from shard 0,
 * so a shard rerun with the same ones in another order is of the same run.
 */
function runDifference(first: ShardDoc, doc: ShardDoc, firstName: string): string | undefined {
  if (doc.data.fingerprint !== first.data.fingerprint) return `its data fingerprint is ${doc.data.fingerprint}, not ${first.data.fingerprint}`;
  if (doc.config.protocol !== first.config.protocol) return `its protocol is ${doc.config.protocol}, not ${first.config.protocol}`;
  const list = (names: string[]) => `[${names.join(', ')}]`;
  const ran = (d: ShardDoc) => d.detectors.filter((x) => x.status === 'ran').map((x) => x.name);
  if (!sameSet(ran(doc), ran(first))) return `it ran detectors ${list(ran(doc))}, shard ${firstName} ran ${list(ran(first))}`;
  const listed = (d: ShardDoc) => d.detectors.map((x) => (x.status === 'ran' ? x.name : `${x.name} (${x.status})`));
  if (!sameSet(listed(doc), listed(first))) return `it lists detectors ${list(listed(doc))}, shard ${firstName} ${list(listed(first))}`;
  for (const theirs of first.detectors) {
    const mine = doc.detectors.find((x) => x.name === theirs.name)!;
    const [a, b] = [theirs.conditions ?? ['none'], mine.conditions ?? ['none']];
    if (theirs.status === 'ran' && !sameSet(a, b)) return `it scored ${mine.name} under conditions ${list(b)}, shard ${firstName} under ${list(a)}`;
    for (const column of IDENTITY_COLUMNS) {
      const [x, y] = [theirs.identity?.[column], mine.identity?.[column]];
      if (x !== y) return `it scored ${mine.name} with ${column} ${y ?? '(none)'}, shard ${firstName} with ${x ?? '(none)'}`;
    }
  }
  return undefined;
}

function sameSet(a: string[], b: string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}

/**
 * Writes OUT/predictions.csv from the shards' files, one detector and condition at a time (memory holds one
 * condition's rows): each sample's row comes from the shard it belongs to, and must carry that detector's score
 * identity under that condition. Rows come grouped as one process's compacted file has them: detector, then
 * condition (the run's order), then the data's order.
 */
async function writeMerged(out: string, shards: Shard[], dataDir: string, ran: DetectorOutcome[], file: string): Promise<{ rows: number; samples: number }> {
  const source = openDataSource(dataDir);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let rows = 0;
  let samples = 0;
  try {
    writeSync(fd, csvText([PREDICTION_COLUMNS], DATA_FILE));
    for (const detector of ran) {
      for (const condition of detector.conditions ?? ['none']) {
        const identity = { ...detector.identity!, condition };
        const byShard = await Promise.all(shards.map((s) => readShardRows(shardFiles(out, s).predictions, detector.name, identity)));
        const lacking = shards.map(() => 0);
        let batch: string[][] = [];
        samples = 0;
        // A run of samples with one shard key (a pair; an archive group, listed in metadata order) is written in
        // the order its shard scored it: an archive's member order, as a single process writes it.
        let run: { key?: string; rows: { cells: string[]; at: number }[] } = { rows: [] };
        const flush = () => {
          for (const row of run.rows.sort((a, b) => a.at - b.at)) batch.push(row.cells);
          if (batch.length >= 10_000) writeSync(fd, csvText(batch.splice(0), DATA_FILE));
        };
        for await (const sample of listSamples(source)) {
          samples++;
          const key = shardKey(sample);
          if (key !== run.key) flush(), (run = { key, rows: [] });
          const shard = shardOf(key, shards.length);
          const row = byShard[shard].get(sample.id);
          if (!row) {
            lacking[shard]++;
            continue;
          }
          run.rows.push(row);
          rows++;
        }
        flush();
        writeSync(fd, csvText(batch, DATA_FILE));
        const short = lacking.findIndex((n) => n > 0);
        if (short >= 0) {
          const under = condition === 'none' ? '' : ` under condition ${condition}`;
          throw new UserError(
            `shard ${formatShard(shards[short])} incomplete: ${lacking[short]} of its samples have no ${detector.name} row${under} with that detector's score identity; rerun it with --shard ${formatShard(shards[short])}, then merge.`,
            'E_DATA',
          );
        }
      }
    }
    fsyncSync(fd);
    closeSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  renameSync(tmp, file);
  return { rows, samples };
}

/** One detector's rows under one condition in a shard's predictions file, by sample id; a later row replaces an earlier one. */
async function readShardRows(file: string, detector: string, identity: ScoreIdentity): Promise<Map<string, { cells: string[]; at: number }>> {
  const rows = new Map<string, { cells: string[]; at: number }>();
  if (!existsSync(file)) return rows;
  let at = 0;
  for await (const { record } of readCsvRecords(file)) {
    // each condition is its own set of rows (an empty cell, from before conditions, is the clean run)
    if (record.detector !== detector || conditionOf(record.condition) !== identity.condition) continue;
    if (IDENTITY_COLUMNS.some((c) => c !== 'condition' && record[c] !== identity[c])) rows.delete(record.sample_id);
    else rows.set(record.sample_id, { cells: PREDICTION_COLUMNS.map((c) => record[c] ?? ''), at: at++ });
  }
  return rows;
}

/** OUT/run.json as it is before the merge (a previous merge's, or a plain run's), if any. */
function readPrevious(file: string): { runId?: string; data?: { fingerprint?: string } } {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${errorMessage(error)})`, 'E_DATA');
  }
}

/** OUT/run.json of the merged run: shard 0's config and detectors, counts summed, each shard's attempts kept. */
function writeMergedRunJson(file: string, docs: ShardDoc[], shards: Shard[], merged: { dataDir: string; samples: number; problems?: ArchiveProblems }): void {
  const previous = readPrevious(file);
  const first = docs[0];
  const detectors = first.detectors.map((d) => {
    const all = docs.map((doc) => doc.detectors.find((x) => x.name === d.name)!);
    const sum = (pick: (c: DetectorOutcome['counts']) => number) => all.reduce((n, x) => n + pick(x.counts), 0);
    const rescored: Record<string, number> = {};
    for (const x of all) for (const [why, n] of Object.entries(x.counts.rescored)) rescored[why] = (rescored[why] ?? 0) + (n ?? 0);
    return {
      ...d,
      counts: { ok: sum((c) => c.ok), error: sum((c) => c.error), cached: sum((c) => c.cached), resumed: sum((c) => c.resumed), rescored },
      ms: all.reduce((n, x) => n + x.ms, 0),
    };
  });
  const doc = {
    runId: previous.runId ?? randomUUID(),
    startedAt: docs.map((d) => d.startedAt).sort()[0],
    finishedAt: docs.map((d) => d.finishedAt ?? '').sort().at(-1),
    mergedAt: new Date().toISOString(),
    versions: toolVersions(),
    config: { ...first.config, data: merged.dataDir },
    data: { ...first.data, samples: merged.samples, ...(merged.problems ? { problems: merged.problems } : {}) },
    detectors,
    timings: { wallMs: Math.max(...docs.map((d) => d.timings?.wallMs ?? 0)) },
    shards: docs.map((d, i) => ({ shard: formatShard(shards[i]), runId: d.runId, root: d.data.root, samples: d.data.samples, attempts: d.attempts })),
  };
  writeAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
}
