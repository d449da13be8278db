import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';

/** What a report needs from RUN_DIR/run.json (written by `semibench run`; absent for imported predictions). */
export interface RunInfo {
  runId?: string;
  /** The eval set folder the run scored. */
  data?: string;
  threshold?: string;
  protocol?: string;
  detectors: { name: string; status?: string; origin?: string; protocol?: string; modelSha256?: string; calibrated?: boolean }[];
}

/** Reads RUN_DIR/run.json, or returns an empty RunInfo when the folder has none. */
export function readRunInfo(runDir: string): RunInfo {
  const file = join(runDir, 'run.json');
  if (!existsSync(file)) return { detectors: [] };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`, 'E_DATA');
  }
  const config = (doc.config ?? {}) as Record<string, unknown>;
  const detectors = Array.isArray(doc.detectors) ? (doc.detectors as RunInfo['detectors']) : [];
  const finished = typeof config.protocol === 'string' ? config.protocol : undefined;
  const mixed = mixedProtocol(doc, finished);
  return {
    runId: typeof doc.runId === 'string' ? doc.runId : undefined,
    data: typeof config.data === 'string' ? config.data : (doc.data as { root?: string } | undefined)?.root,
    threshold: typeof config.threshold === 'string' ? config.threshold : undefined,
    protocol: mixed?.label ?? finished ?? soleProtocol(doc),
    detectors: detectors.map((d) => ({
      name: d.name,
      status: d.status,
      origin: d.origin,
      protocol: mixed && (mixed.detectors.has('all') || mixed.detectors.has(d.name)) ? mixed.label : d.protocol,
      modelSha256: d.modelSha256,
      calibrated: d.calibrated,
    })),
  };
}

type AttemptDoc = { status?: string; protocol?: string; detectors?: { name: string }[] };

/** The attempts after the last finished one (killed runs), newest last. */
function unfinishedAttempts(doc: Record<string, unknown>): AttemptDoc[] {
  const attempts = Array.isArray(doc.attempts) ? (doc.attempts as AttemptDoc[]) : [];
  const lastFinished = attempts.map((a) => a.status).lastIndexOf('finished');
  return attempts.slice(lastFinished + 1);
}

/**
 * run.json's config and detectors describe the last finished run. When a later run with another protocol did
 * not finish, the rows of the detectors it ran may mix protocols (resume rescores them when it finishes): say
 * so rather than label them with one.
 */
function mixedProtocol(doc: Record<string, unknown>, finished: string | undefined): { label: string; detectors: Set<string> } | undefined {
  const unfinished = unfinishedAttempts(doc);
  const protocols = [...new Set([finished, ...unfinished.map((a) => a.protocol)].filter((p): p is string => typeof p === 'string'))];
  if (protocols.length <= 1) return undefined;
  return {
    label: `mixed (${protocols.join(', ')}: a run with another protocol did not finish; rerun it to rescore the rest)`,
    detectors: new Set(unfinished.flatMap((a) => (a.detectors ?? []).map((d) => d.name))),
  };
}

/** The protocol of a folder whose runs never finished, when they all used the same one. */
function soleProtocol(doc: Record<string, unknown>): string | undefined {
  const protocols = new Set(unfinishedAttempts(doc).map((a) => a.protocol));
  return protocols.size === 1 ? [...protocols][0] : undefined;
}
