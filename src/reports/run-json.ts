import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { BenchConfig } from '../config/schema.js';
import type { RunResult } from '../runner/run.js';
import { toolVersions } from '../util/versions.js';
import { writeAtomic } from './csv.js';

/**
 * Writes OUT/run.json: the config, tool and runtime versions, each detector's model hash, protocol and
 * counts, and timings. The run id survives resumes into the same folder. What the report computed (bins,
 * thresholds, ids not in the metadata) goes to results.json.
 */
export function writeRunJson(config: BenchConfig, result: RunResult): string {
  const file = join(config.out, 'run.json');
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  const doc = {
    runId: previous?.runId ?? randomUUID(),
    startedAt: previous?.startedAt ?? new Date(Date.now() - result.wallMs).toISOString(),
    finishedAt: new Date().toISOString(),
    versions: toolVersions(),
    config,
    data: { root: config.data, samples: result.samples },
    detectors: result.detectors,
    timings: { wallMs: Math.round(result.wallMs) },
  };
  writeAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}
