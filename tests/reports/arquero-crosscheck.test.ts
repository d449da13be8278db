import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/index.js';
import { computeMetrics, pairedMetrics, type MetricKey } from '../../src/metrics/index.js';
import { buildReport } from '../../src/reports/report.js';
import { SYNTHETIC_SLICES, syntheticSet } from '../slices/synthetic.js';

const { op } = aq;

/**
 * An independent reference for the report's aggregation, the straightforward way: arquero joins predictions
 * with metadata on the sample id, groups by (detector, slice value), gathers each group's scores, labels and
 * pair ids with op.array_agg, and src/metrics computes the metrics. The report's column-wise kernel must give
 * the same numbers.
 */
describe('report numbers against an arquero join + group by + array_agg', async () => {
  const set = await syntheticSet(21, 80, 4);
  const config = { ...DEFAULTS, data: join(set.dir, 'data'), slices: SYNTHETIC_SLICES };
  const report = await buildReport({ runDir: set.dir, config, resamples: 0 });

  const meta = aq.fromCSV(readFileSync(join(set.dir, 'data', 'metadata.csv'), 'utf8'), { parse: { ds: String, grp: String, image_id: String } });
  const preds = aq.fromCSV(readFileSync(join(set.dir, 'predictions.csv'), 'utf8'));
  const joined = preds
    .filter((d: { status: string }) => d.status === 'ok')
    .join(meta, ['sample_id', 'image_path'])
    .derive({ y: (d: { label_2: string }) => (d.label_2 === 'fake' ? 1 : 0) });
  const realScores = new Map<string, number>(
    joined
      .filter((d: { y: number }) => d.y === 0)
      .objects()
      .map((r) => [String((r as { image_id: string }).image_id), Number((r as { score: number }).score)]),
  );

  function groups(column: string, keep: (r: { y: number }) => boolean) {
    return joined
      .filter(aq.escape(keep))
      .groupby('detector', column)
      .rollup({ scores: op.array_agg('score'), labels: op.array_agg('y'), pairs: op.array_agg('image_id') })
      .objects() as { detector: string; scores: number[]; labels: number[]; pairs: string[]; [k: string]: unknown }[];
  }

  it('both-class slice (ds): every metric equals computeMetrics on the arquero groups', () => {
    const got = groups('ds', () => true);
    expect(got.length).toBe(3);
    for (const g of got) {
      const row = report.rows.find((r) => r.slice === 'ds' && r.value === g.ds)!;
      const m = computeMetrics({ labels: g.labels, scores: g.scores, pairIds: g.pairs.map(String) }, { threshold: 0.5, resamples: 0, realScores });
      expect([row.n_real, row.n_fake]).toEqual([g.labels.filter((y) => y === 0).length, g.labels.filter((y) => y === 1).length]);
      for (const [key, cell] of Object.entries(row.metrics)) {
        const want = m.metrics[key as MetricKey].value;
        if (want === null) expect(cell.value, key).toBeNull();
        else expect(cell.value, `${g.ds}/${key}`).toBeCloseTo(want, 12);
      }
    }
  });

  it('fake-only slice (grp): recall and paired metrics equal src/metrics on the arquero groups', () => {
    const got = groups('grp', (r) => r.y === 1);
    expect(got.length).toBe(3);
    for (const g of got) {
      const row = report.rows.find((r) => r.slice === 'grp' && r.value === g.grp)!;
      expect(row.kind).toBe('fake-only');
      expect(row.n_fake).toBe(g.scores.length);
      expect(row.metrics.recall_fake.value).toBeCloseTo(g.scores.filter((s) => s >= 0.5).length / g.scores.length, 12);
      const p = pairedMetrics(g.scores, g.pairs.map(String), realScores);
      expect(row.metrics.paired_auc.value).toBeCloseTo(p.pairedAuc.value!, 12);
      expect(row.metrics.two_afc.value).toBeCloseTo(p.twoAfc.value!, 12);
      expect([row.n_paired_real, row.n_unpaired_fake]).toEqual([p.nReals, p.nUnpaired]);
    }
  });
});
