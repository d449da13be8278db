import { describe, expect, it } from 'vitest';
import { rankScores } from '../../src/metrics/index.js';
import { GroupScratch, groupSlice, rankedInOrder } from '../../src/slices/group.js';
import { codesByRank, codesInRankOrder, partitionRanks, sortRowsByScoreDesc } from '../../src/slices/rank.js';
import { uniform } from '../../src/util/random.js';

describe('ranking', () => {
  it('the radix sort orders like a comparator sort: score descending, ties by row ascending', () => {
    const next = uniform(11);
    for (const n of [0, 1, 2, 17, 1000]) {
      const score = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? 1 : Math.round(next() * 50) / 50 + (i % 3 ? next() * 1e-9 : 0)));
      const rows = Int32Array.from({ length: n }, (_, i) => i).filter((i) => i % 4 !== 1);
      const expected = Array.from(rows).sort((a, b) => score[b] - score[a] || a - b);
      expect(Array.from(sortRowsByScoreDesc(rows, score))).toEqual(expected);
    }
  });

  it('partitions rank positions by group, keeping rank order in each', () => {
    const order = Int32Array.from([4, 0, 3, 1, 2]);
    const codes = Int32Array.from([1, -1, 0, 1, 0]); // per metadata row
    const { start, positions } = partitionRanks(codesInRankOrder(order, codes), 2);
    // rank positions: 0→row4 (g0), 1→row0 (g1), 2→row3 (g1), 3→row1 (none), 4→row2 (g0)
    expect(Array.from(start)).toEqual([0, 2, 4]);
    expect(Array.from(positions)).toEqual([0, 4, 1, 2]);
  });

  it('grouping each slice from the row-major code matrix equals partitioning it alone, with their ranked columns', () => {
    const next = uniform(2);
    const rows = 300;
    const groups = [3, 1, 7];
    const codes = groups.map((g) => Int32Array.from({ length: rows }, () => Math.floor(next() * (g + 1)) - 1));
    const matrix = new Uint8Array(rows * groups.length);
    codes.forEach((c, s) => c.forEach((v, i) => (matrix[i * groups.length + s] = v + 1)));
    const order = Int32Array.from({ length: rows }, (_, i) => i).sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101) || a - b);
    const view = {
      rankedScore: Float64Array.from(order, (r) => r / rows),
      rankedPair: Int32Array.from(order, (r) => r % 13),
      rankedWin: Uint8Array.from(order, (r) => r % 5),
    };
    const byRank = codesByRank(matrix, groups.length, order, [0, 1, 2]);
    const scratch = new GroupScratch();
    groups.forEach((g, s) => {
      const one = partitionRanks(codesInRankOrder(order, codes[s]), g);
      const mine = groupSlice(byRank, s * rows, g, view, scratch);
      expect(Array.from(mine.start)).toEqual(Array.from(one.start));
      expect(Array.from(mine.positions)).toEqual(Array.from(one.positions));
      expect(Array.from(mine.rows.score)).toEqual(Array.from(one.positions, (k) => view.rankedScore[k]));
      expect(Array.from(mine.rows.pair)).toEqual(Array.from(one.positions, (k) => view.rankedPair[k]));
      expect(Array.from(mine.rows.win)).toEqual(Array.from(one.positions, (k) => view.rankedWin[k]));
    });
  });

  it('rankedInOrder builds what metrics rankScores builds for rows already in descending order', () => {
    const scores = Float64Array.from([0.9, 0.9, 0.7, 0.5, 0.5, 0.5, 0.1]);
    const labels = Uint8Array.from([1, 0, 1, 1, 0, 0, 1]);
    const mine = rankedInOrder(labels, scores);
    const theirs = rankScores(labels, scores);
    for (const key of ['order', 'sortedLabels', 'groupEnd', 'groupScore', 'groupOf'] as const) expect(Array.from(mine[key])).toEqual(Array.from(theirs[key]));
  });
});
