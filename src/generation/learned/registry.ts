import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, UserError } from '../../util/errors.js';
import type { MetricColumn } from '../columns.js';
import { ClipModel } from './clip.js';
import { ImageEmbeddingModel } from './image-embedding.js';
import { KIND_COLUMNS, manifestFiles, validateMetricManifest, type MetricKind, type MetricModelManifest } from './manifest.js';
import type { MetricModel } from './metric-model.js';
import { resolvePath } from './onnx-graph-session.js';
import { PairDistanceModel } from './pair-distance.js';
import { SentenceEmbeddingModel } from './sentence-embedding.js';
import { METRIC_ZOO } from './zoo.js';

export { DEFAULT_METRICS_DIR } from './zoo.js';

/** What happened to one metric model: loaded, or why its columns stay empty. */
export interface ModelStatus {
  name: string;
  kind: MetricKind;
  columns: MetricColumn[];
  status: 'loaded' | 'missing' | 'failed' | 'disabled';
  /** For loaded models: `name@sha8`. */
  id?: string;
  /** For missing models: the absolute paths of the files not found. */
  missingFiles?: string[];
  /** For failed models: the error. */
  reason?: string;
  /** Where the files come from (manifest provenance). */
  weights: string;
  /** What was verified against the reference implementation. */
  verified: string;
  /** Where the manifest came from: the built-in zoo or a JSON file in the metrics folder. */
  source: string;
}

export interface LearnedMetrics {
  models: MetricModel[];
  statuses: ModelStatus[];
  close(): Promise<void>;
}

/**
 * The metric-model manifests in effect: one per kind, the built-in zoo's unless the metrics folder holds a
 * `*.json` manifest of that kind (which replaces it, e.g. to point at other file names).
 */
export function metricManifests(metricsDir: string): { manifest: MetricModelManifest; source: string }[] {
  const byKind = new Map<MetricKind, { manifest: MetricModelManifest; source: string }>();
  for (const manifest of METRIC_ZOO) byKind.set(manifest.kind, { manifest, source: 'builtin' });
  if (existsSync(metricsDir)) {
    const userKinds = new Map<MetricKind, string>();
    for (const name of readdirSync(metricsDir).filter((f) => f.endsWith('.json')).sort()) {
      const file = join(metricsDir, name);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new UserError(`${file}: not valid JSON (${errorMessage(error)})`, 'E_MANIFEST');
      }
      const manifest = validateMetricManifest(raw, file);
      const earlier = userKinds.get(manifest.kind);
      if (earlier) throw new UserError(`${file} and ${earlier} both define a '${manifest.kind}' metric model; keep one.`, 'E_MANIFEST');
      userKinds.set(manifest.kind, file);
      byKind.set(manifest.kind, { manifest, source: file });
    }
  }
  return [...byKind.values()];
}

/**
 * Loads every metric model whose files are present under `metricsDir`. A missing file is not an error: its
 * columns stay empty and the status says which file to put where. Nothing is ever downloaded.
 */
export async function loadLearnedMetrics(metricsDir: string, options: { disabled?: boolean } = {}): Promise<LearnedMetrics> {
  const models: MetricModel[] = [];
  const statuses: ModelStatus[] = [];
  for (const { manifest, source } of metricManifests(metricsDir)) {
    const base = {
      name: manifest.name,
      kind: manifest.kind,
      columns: KIND_COLUMNS[manifest.kind],
      weights: manifest.provenance.weights,
      verified: manifest.provenance.verified,
      source,
    };
    if (options.disabled) {
      statuses.push({ ...base, status: 'disabled' });
      continue;
    }
    const missingFiles = manifestFiles(manifest).map((f) => resolvePath(metricsDir, f)).filter((f) => !existsSync(f));
    if (missingFiles.length > 0) {
      statuses.push({ ...base, status: 'missing', missingFiles });
      continue;
    }
    try {
      const model = await loadModel(manifest, metricsDir);
      models.push(model);
      statuses.push({ ...base, status: 'loaded', id: model.id });
    } catch (error) {
      statuses.push({ ...base, status: 'failed', reason: errorMessage(error) });
    }
  }
  return {
    models,
    statuses,
    async close() {
      await Promise.all(models.map((m) => m.close()));
    },
  };
}

function loadModel(manifest: MetricModelManifest, metricsDir: string): Promise<MetricModel> {
  switch (manifest.kind) {
    case 'pair-distance':
      return PairDistanceModel.load(manifest, metricsDir);
    case 'image-embedding':
      return ImageEmbeddingModel.load(manifest, metricsDir);
    case 'sentence-embedding':
      return SentenceEmbeddingModel.load(manifest, metricsDir);
    case 'clip':
      return ClipModel.load(manifest, metricsDir);
  }
}
