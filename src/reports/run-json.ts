import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { BenchConfig } from '../config/schema.js';
import type { RunResult } from '../runner/run.js';
import type { AssignedSlice } from '../slices/assign.js';
import { toolVersions } from '../util/versions.js';
import { writeAtomic } from './csv.js';

/**
 * Writes OUT/run.json: the config, tool and runtime versions, each detector's model hash, protocol and
 * counts, the bins used by binned slices, and timings. The run id survives resumes into the same folder.
 */
export function writeRunJson(config: BenchConfig, result: RunResult, slices: AssignedSlice[], unknownIds: string[]): string {
  const file = join(config.out, 'run.json');
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  const doc = {
    runId: previous?.runId ?? randomUUID(),
    startedAt: previous?.startedAt ?? new Date(Date.now() - result.wallMs).toISOString(),
    finishedAt: new Date().toISOString(),
    versions: toolVersions(),
    config,
    data: { root: config.data, samples: result.samples, predictionsNotInMetadata: unknownIds.length },
    detectors: result.detectors,
    bins: Object.fromEntries(slices.filter((s) => s.bins).map((s) => [s.spec.name, s.bins])),
    timings: { wallMs: Math.round(result.wallMs) },
  };
  writeAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}
