import { describe, expect, it } from 'vitest';
import {
  bootstrap,
  bootstrapCI,
  classificationMetrics,
  clusterIndex,
  percentile,
  rocAuc,
  rowClusters,
  type Resample,
} from '../../src/metrics/index.js';
import { expectClose, golden } from './goldens.js';

interface BootGolden {
  name: string;
  labels: number[];
  scores: number[];
  pairIds: string[];
  resamples: number;
  seed: number;
  level: number;
  auc: { lo: number; hi: number; valid: number };
  accuracy: { lo: number; hi: number; valid: number };
}
const { cases } = golden<{ cases: BootGolden[] }>('bootstrap.json');

describe('cluster bootstrap matches a bit-for-bit Python replica with sklearn + numpy.quantile', () => {
  for (const g of cases) {
    it(g.name, () => {
      const ci = bootstrap(
        g.pairIds,
        (r) => ({
          auc: rocAuc(g.labels, g.scores, { weights: r.weights }),
          accuracy: classificationMetrics(g.labels, g.scores, 0.5, { weights: r.weights }).accuracy,
        }),
        { resamples: g.resamples, seed: g.seed, level: g.level },
      );
      for (const m of ['auc', 'accuracy'] as const) {
        expectClose(ci[m].lo, g[m].lo, `${m} lo`);
        expectClose(ci[m].hi, g[m].hi, `${m} hi`);
        expect(ci[m].valid, `${m} valid`).toBe(g[m].valid);
        expect(ci[m].skipped).toBe(g.resamples - g[m].valid);
      }
    });
  }

  it('the small case really exercises skipping (resamples without reals)', () => {
    const small = cases.find((c) => c.name === 'c5_skips') as BootGolden;
    expect(small.auc.valid).toBeLessThan(small.resamples);
  });
});

// 20 source images with 50 edits each; all edits of an image get the same verdict, as correlated edits do
function clustered(): { labels: number[]; scores: number[]; ids: string[] } {
  const labels: number[] = [];
  const scores: number[] = [];
  const ids: string[] = [];
  for (let c = 0; c < 20; c++) {
    for (let k = 0; k < 50; k++) {
      labels.push(1);
      scores.push(c % 2 === 0 ? 0.9 : 0.1);
      ids.push(`img${c}`);
    }
  }
  return { labels, scores, ids };
}

const recall = (labels: number[], scores: number[]) => (r: Resample) =>
  classificationMetrics(labels, scores, 0.5, { weights: r.weights }).fake.recall;

describe('bootstrap behaviour', () => {
  const { labels, scores, ids } = clustered();

  it('same seed → identical interval; different seed → different interval', () => {
    const a = bootstrapCI(ids, recall(labels, scores), { seed: 42, resamples: 500 });
    const b = bootstrapCI(ids, recall(labels, scores), { seed: 42, resamples: 500 });
    const c = bootstrapCI(ids, recall(labels, scores), { seed: 43, resamples: 500 });
    expect(b).toEqual(a);
    expect([c.lo, c.hi]).not.toEqual([a.lo, a.hi]);
  });

  it('resamples clusters, not rows: correlated edits widen the interval by about sqrt(cluster size)', () => {
    const cluster = bootstrapCI(ids, recall(labels, scores), { seed: 1 });
    const row = bootstrapCI(rowClusters(labels.length), recall(labels, scores), { seed: 1 });
    const wc = (cluster.hi as number) - (cluster.lo as number);
    const wr = (row.hi as number) - (row.lo as number);
    // binomial widths: ≈ 3.92·sqrt(.25/20) ≈ 0.44 with 20 clusters vs ≈ 3.92·sqrt(.25/1000) ≈ 0.062 with 1000 rows
    expect(wc).toBeGreaterThan(0.3);
    expect(wr).toBeLessThan(0.1);
    expect(wc / wr).toBeGreaterThan(4);
    expect(cluster.clusters).toBe(20);
    expect(row.clusters).toBe(1000);
  });

  it('one row per cluster is exactly the row bootstrap', () => {
    const unique = labels.map((_, i) => `r${i}`);
    const byRow = bootstrapCI(rowClusters(labels.length), recall(labels, scores), { seed: 5 });
    expect(bootstrapCI(unique, recall(labels, scores), { seed: 5 })).toEqual(byRow);
  });

  it('a resample holds whole clusters: weights are constant within a cluster and rows come in cluster blocks', () => {
    const index = clusterIndex(['a', 'a', 'b', 'c', 'c', 'c']);
    bootstrapCI(
      index,
      (r) => {
        const w = r.weights;
        expect(w[0]).toBe(w[1]);
        expect(w[3]).toBe(w[4]);
        expect(w[4]).toBe(w[5]);
        expect(r.clusterCounts.reduce((s, x) => s + x, 0)).toBe(3);
        const rows = Array.from(r.rows());
        expect(rows.length).toBe(Array.from(w).reduce((s, x) => s + x, 0));
        for (let i = 0; i < 6; i++) expect(rows.filter((x) => x === i).length).toBe(w[i]);
        return 0;
      },
      { resamples: 50 },
    );
  });

  it('counts resamples where the metric is undefined, and explains an all-undefined metric', () => {
    // two clusters: one all-real, one all-fake → AUC is undefined whenever one cluster is drawn twice
    const l = [0, 0, 1, 1];
    const s = [0.2, 0.3, 0.6, 0.7];
    const ci = bootstrapCI(['x', 'x', 'y', 'y'], (r) => rocAuc(l, s, { weights: r.weights }), { resamples: 400, seed: 3 });
    expect(ci.skipped).toBeGreaterThan(100);
    expect(ci.valid + ci.skipped).toBe(400);
    expect([ci.lo, ci.hi]).toEqual([1, 1]);
    const never = bootstrapCI(['x'], () => null, { resamples: 10 });
    expect(never.lo).toBeNull();
    expect(never.reason).toBe('undefined in all 10 resamples');
  });

  it('validates options', () => {
    expect(() => bootstrapCI(['a'], () => 1, { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapCI(['a'], () => 1, { level: 95 })).toThrow(/level/);
  });

  it('percentile is numpy linear', () => {
    expect(percentile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(percentile([1, 2, 3, 4], 1)).toBe(4);
    expect(percentile([7], 0.025)).toBe(7);
  });
});
