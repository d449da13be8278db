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
  return {
    runId: typeof doc.runId === 'string' ? doc.runId : undefined,
    data: typeof config.data === 'string' ? config.data : undefined,
    threshold: typeof config.threshold === 'string' ? config.threshold : undefined,
    protocol: typeof config.protocol === 'string' ? config.protocol : undefined,
    detectors: detectors.map((d) => ({
      name: d.name,
      status: d.status,
      origin: d.origin,
      protocol: d.protocol,
      modelSha256: d.modelSha256,
      calibrated: d.calibrated,
    })),
  };
}
