import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/report.js';
import { tinyRun } from '../reports/tiny-run.js';

describe('parallel report', () => {
  it('gives the same metadata, slices, rows and thresholds with worker threads as on one thread', async () => {
    const tiny = tinyRun();
    for (const threshold of ['0.5', 'fpr@0.25']) {
      const one = await buildReport({ runDir: tiny.run, config: tiny.config, threshold, workers: 1 });
      const two = await buildReport({ runDir: tiny.run, config: tiny.config, threshold, workers: 2 });
      expect(two.rows).toEqual(one.rows);
      // the metadata read in two halves on two threads is the metadata read at once
      expect(two.meta.fingerprint).toBe(one.meta.fingerprint);
      expect([...two.meta.categorical]).toEqual([...one.meta.categorical]);
      expect([...two.meta.numeric]).toEqual([...one.meta.numeric]);
      expect(two.slices).toEqual(one.slices);
      expect([...two.thresholds]).toEqual([...one.thresholds]);
      // det2 was ranked on the worker: its view is rebuilt here on demand, the same
      expect(two.views.map((v) => Array.from(v.order))).toEqual(one.views.map((v) => Array.from(v.order)));
    }
  });
});

describe('errors from a worker', () => {
  it('a user error in the metadata half reaches the caller as a user error', async () => {
    const tiny = tinyRun();
    const { writeFileSync, readFileSync } = await import('node:fs');
    const file = `${tiny.data}/metadata.csv`;
    writeFileSync(file, readFileSync(file, 'utf8').replace('real,,,,,', 'maybe,,,,,'));
    await expect(buildReport({ runDir: tiny.run, config: tiny.config, workers: 2 })).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/label 'maybe'/) });
  });
});
