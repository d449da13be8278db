import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { BenchConfig } from '../config/schema.js';
import type { DataIdentity } from '../runner/run-folder.js';
import type { DetectorOutcome, RunResult } from '../runner/run.js';
import { UserError } from '../util/errors.js';
import { toolVersions } from '../util/versions.js';
import { writeAtomic } from './csv.js';

/** One `semibench run` into a folder: when, with which settings, and what each detector did. */
export interface Attempt {
  startedAt: string;
  /** Absent while running, and for an attempt that was killed (its status then reads `interrupted`). */
  finishedAt?: string;
  status: 'running' | 'finished' | 'interrupted';
  protocol: string;
  batchSize: number;
  detectors: { name: string; status?: DetectorOutcome['status']; ok?: number; error?: number; cached?: number; reused?: number; rescored?: DetectorOutcome['counts']['rescored'] }[];
  wallMs?: number;
}

/**
 * Records the start of a run in OUT/run.json before any row is written: the data set the folder holds (a
 * different one is refused) and a new attempt. Attempts left `running` were killed: they become `interrupted`.
 * The caller holds the folder's lock. A shard keeps its own file (runner/shard.ts).
 */
export function beginAttempt(config: BenchConfig, data: DataIdentity, file = join(config.out, 'run.json')): void {
  const doc = readRunJson(file) ?? {};
  const held = doc.data as Partial<DataIdentity> | undefined;
  if (doc.attempts && held?.root && held.root !== data.root) {
    throw new UserError(`--out ${config.out} holds a run on ${held.root}, not on --data ${data.root}: one folder holds one data set; use another --out.`, 'E_USAGE');
  }
  const attempts: Attempt[] = ((doc.attempts ?? []) as Attempt[]).map((a) => (a.status === 'running' ? { ...a, status: 'interrupted' } : a));
  attempts.push({ startedAt: new Date().toISOString(), status: 'running', protocol: config.protocol, batchSize: config.batchSize, detectors: config.detectors.map((name) => ({ name })) });
  const begun = {
    runId: doc.runId ?? randomUUID(),
    startedAt: doc.startedAt ?? attempts[attempts.length - 1].startedAt,
    ...doc,
    data: { ...held, ...data },
    attempts,
  };
  writeAtomic(file, `${JSON.stringify(begun, null, 2)}\n`);
}

/**
 * Completes OUT/run.json after a run: the config, tool and runtime versions, each detector's model hash,
 * protocol, score identity and counts (detectors not in this run keep their last record), timings, and the
 * finished attempt. The run id survives resumes into the same folder. What the report computed (bins,
 * thresholds, ids not in the metadata) goes to results.json.
 */
export function writeRunJson(config: BenchConfig, result: RunResult, file = join(config.out, 'run.json')): string {
  const doc = readRunJson(file) ?? {};
  const attempts = (doc.attempts ?? []) as Attempt[];
  const finishedAt = new Date().toISOString();
  const current = attempts[attempts.length - 1];
  if (current?.status === 'running') {
    Object.assign(current, {
      finishedAt,
      status: 'finished',
      detectors: result.detectors.map((d) => ({ name: d.name, status: d.status, ok: d.counts.ok, error: d.counts.error, cached: d.counts.cached, reused: d.counts.resumed, rescored: d.counts.rescored })),
      wallMs: Math.round(result.wallMs),
    });
  }
  const earlier = ((doc.detectors ?? []) as DetectorOutcome[]).filter((d) => !result.detectors.some((r) => r.name === d.name));
  const out = {
    runId: doc.runId ?? randomUUID(),
    startedAt: doc.startedAt ?? new Date(Date.now() - result.wallMs).toISOString(),
    finishedAt,
    versions: toolVersions(),
    config,
    ...(result.shard ? { shard: result.shard } : {}),
    data: { ...(doc.data as object), samples: result.samples, ...(result.dataProblems ? { problems: result.dataProblems } : {}), ...(result.duplicates?.count ? { duplicates: result.duplicates } : {}) },
    detectors: [...earlier, ...result.detectors],
    timings: { wallMs: Math.round(result.wallMs) },
    attempts,
  };
  writeAtomic(file, `${JSON.stringify(out, null, 2)}\n`);
  return file;
}

function readRunJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`, 'E_DATA');
  }
}
