/**
 * Metric timings: AUC and a 1000-resample cluster-bootstrap AUC on 100k rows in 20k clusters (a real photo and
 * ~4 edits each), then the full computeMetrics slice with intervals. Run: npx tsx bench/metrics.ts
 */
import { performance } from 'node:perf_hooks';
import {
  aucFromCurve,
  bootstrapCI,
  clfCurve,
  clfCurveClustered,
  clusterIndex,
  clusterRanking,
  computeMetrics,
  rankScores,
  rocAuc,
  Xoshiro128,
} from '../src/metrics/index.js';

const ROWS = 100_000;
const CLUSTERS = 20_000;
const RESAMPLES = 1000;

function data(rounded: boolean): { labels: Uint8Array; scores: Float64Array; pairIds: string[] } {
  const rng = new Xoshiro128(2024);
  const labels = new Uint8Array(ROWS);
  const scores = new Float64Array(ROWS);
  const pairIds: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const c = i % CLUSTERS;
    labels[i] = i < CLUSTERS ? 0 : 1; // the first row of each cluster is its real
    // rounded to 2 decimals, as the Semi-Truths stress test writes them (heavy ties), or left continuous
    const u = rng.nextUint32() / 2 ** 32;
    const s = Math.min(1, 0.3 * labels[i] + 0.7 * u);
    scores[i] = rounded ? Math.round(s * 100) / 100 : s;
    pairIds.push(`img${c}`);
  }
  return { labels, scores, pairIds };
}

function time<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  console.log(`${label.padEnd(58)} ${(performance.now() - t0).toFixed(1).padStart(9)} ms`);
  return out;
}

for (const rounded of [true, false]) {
  console.log(`\n== ${ROWS} rows, ${CLUSTERS} clusters, ${rounded ? 'scores rounded to 2 decimals (101 distinct)' : 'continuous scores'} ==`);
  const { labels, scores, pairIds } = time('generate 100k rows / 20k clusters', () => data(rounded));
  const auc = time('rocAuc (sort + sweep)', () => rocAuc(labels, scores));
  const index = time('clusterIndex (pairId → rows)', () => clusterIndex(pairIds));
  const ranked = time('rankScores (sort once)', () => rankScores(labels, scores));
  const ci = time(`bootstrapCI AUC, ${RESAMPLES} resamples, cluster-order scatter`, () => {
    const cr = clusterRanking(ranked, labels, index);
    const buffer = clfCurve(ranked);
    return bootstrapCI(index, (r) => aucFromCurve(clfCurveClustered(cr, r.clusterCounts, buffer)), { resamples: RESAMPLES, seed: 1 });
  });
  console.log(`  AUC ${auc.value?.toFixed(4)}  95% CI [${ci.lo?.toFixed(4)}, ${ci.hi?.toFixed(4)}]  skipped ${ci.skipped}`);
  const viaWeights = time(`bootstrapCI AUC, ${RESAMPLES} resamples, per-row weights`, () => {
    const buffer = clfCurve(ranked);
    return bootstrapCI(index, (r) => aucFromCurve(clfCurve(ranked, r.weights, buffer)), { resamples: RESAMPLES, seed: 1 });
  });
  console.log(`  same interval: ${viaWeights.lo === ci.lo && viaWeights.hi === ci.hi}`);
  const naive = time(`bootstrapCI AUC, 100 resamples via rocAuc (re-sorts each)`, () =>
    bootstrapCI(index, (r) => rocAuc(labels, scores, { weights: r.weights }), { resamples: 100, seed: 1 }),
  );
  console.log(`  (x10 for 1000 resamples; CI over 100: [${naive.lo?.toFixed(4)}, ${naive.hi?.toFixed(4)}])`);
  const slice = time(`computeMetrics, all metrics, ${RESAMPLES} resamples`, () =>
    computeMetrics({ labels, scores, pairIds }, { resamples: RESAMPLES, seed: 1 }),
  );
  const show = (e: typeof slice.metrics.auc) => `${e.value?.toFixed(4)} [${e.ci?.lo?.toFixed(4)}, ${e.ci?.hi?.toFixed(4)}]`;
  console.log(`  AUC ${show(slice.metrics.auc)}; accuracy ${show(slice.metrics.accuracy)}; ECE ${show(slice.metrics.ece)}`);
}
