import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/report.js';
import { PAPER_SIZE_BINS } from '../../src/slices/semitruths.js';
import type { SliceSpec } from '../../src/slices/spec.js';
import { tinyRun } from '../reports/tiny-run.js';

// the paper's small / medium / large are the 5-bin slice's bins 1, 3, 5; `method_again` has method's groups
const FIVE: SliceSpec = { name: 'area_5bin', column: 'ratio', bins: 'quantile5' };
const PAPER: SliceSpec = { name: 'area_paper', column: 'ratio', bins: 'quantile5', keepBins: PAPER_SIZE_BINS };
const METHOD: SliceSpec = { name: 'method', column: 'method' };
const AGAIN: SliceSpec = { name: 'method_again', column: 'method' };
const DATASET: SliceSpec = { name: 'dataset', column: 'dataset' };
const DATASET_AGAIN: SliceSpec = { name: 'dataset_again', column: 'dataset' };

describe('groups with the same rows as an earlier group', () => {
  // tiny: ties (real B and B1 at 0.6), missing values (p2p edits have no ratio), and in det2 an error row, a
  // NaN score, a score out of range and a missing real; both interval methods
  for (const ciBudget of [Infinity, 0]) {
    it(`are copied with the numbers they would get alone (${ciBudget ? 'bootstrap' : 'normal'} intervals)`, async () => {
      const together = tinyRun({ slices: [FIVE, PAPER, METHOD, AGAIN, DATASET, DATASET_AGAIN] });
      const both = await buildReport({ runDir: together.run, config: together.config, ciBudget, workers: 1 });
      for (const alone of [PAPER, AGAIN, DATASET_AGAIN]) {
        const tiny = tinyRun({ slices: [alone] });
        const single = await buildReport({ runDir: tiny.run, config: tiny.config, ciBudget, workers: 1 });
        const rows = (r: typeof both) => r.rows.filter((row) => row.slice === alone.name);
        expect(rows(single).length).toBeGreaterThan(0);
        expect(rows(both)).toEqual(rows(single));
      }
      const paper = both.rows.filter((r) => r.slice === 'area_paper' && r.detector === 'det');
      const fiveBin = both.rows.filter((r) => r.slice === 'area_5bin' && r.detector === 'det');
      // each paper group is a 5-bin group under another name
      for (const row of paper) expect(fiveBin.some((f) => f.n_fake === row.n_fake && JSON.stringify(f.metrics) === JSON.stringify(row.metrics))).toBe(true);
    });
  }
});
