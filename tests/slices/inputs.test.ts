import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignSlices } from '../../src/slices/assign.js';
import { readHeader, readMetadata } from '../../src/slices/metadata.js';
import { planSlices } from '../../src/slices/plan.js';
import { readScores, STATUS } from '../../src/slices/scores.js';
import type { SliceSpec } from '../../src/slices/spec.js';
import { SEMITRUTHS_SLICES } from '../../src/slices/semitruths.js';
import { tempDir } from '../helpers.js';
import { readFileSync } from 'node:fs';

async function load(metadata: string[], predictions: string[] = [], slices: SliceSpec[] = []) {
  const dir = tempDir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'metadata.csv'), `${metadata.join('\n')}\n`);
  writeFileSync(join(dir, 'p.csv'), `${['sample_id,detector,score,label,status,error,ms,cache_key', ...predictions].join('\n')}\n`);
  const plan = planSlices(slices, readHeader(join(dir, 'data')));
  const meta = await readMetadata(join(dir, 'data'), plan.needs);
  return { meta, plan, scores: () => readScores(join(dir, 'p.csv'), meta), slices: () => assignSlices(plan.slices, meta) };
}

const META = ['image_id,image_path,dataset,label,score_band,pass_qc', 'a,"r/a,1.jpg",X,real,,', 'a,f/ä1.png,X,fake,0.1,1', 'a,f/a2.png,X,fake,0.9,0', 'b,r/b.jpg,Y,0,,', 'b,f/b1.png,Y,1,0.5,true'];

describe('reading predictions against the metadata', () => {
  it('joins by sample id in any order (quoted and non-ASCII ids included) and keeps the last of duplicate rows', async () => {
    const { meta, scores } = await load(META, ['f/b1.png,d,0.7,1,ok,,1,', '"r/a,1.jpg",d,0.2,0,ok,,1,', 'f/ä1.png,d,0.3,1,ok,,1,', 'f/ä1.png,d,0.4,1,ok,,1,']);
    const d = scores().detectors[0];
    const row = (id: string) => meta.rowOf(Buffer.from(id).toString('latin1'))!;
    expect(d.score[row('r/a,1.jpg')]).toBe(0.2);
    expect(d.score[row('f/ä1.png')]).toBe(0.4);
    expect(d.counts).toMatchObject({ ok: 3, missing: 2, duplicates: 1 });
  });

  it('keeps every detector apart, each in its own metadata order', async () => {
    const { scores } = await load(META, ['f/a2.png,d1,0.1,1,ok,,1,', 'f/a2.png,d2,0.9,1,ok,,1,', 'r/b.jpg,d1,0.3,0,ok,,1,']);
    const t = scores();
    expect(t.detectors.map((d) => [d.detector, d.counts.ok])).toEqual([['d1', 2], ['d2', 1]]);
  });

  it('classifies unusable scores and error rows, and lists ids the metadata lacks', async () => {
    const { scores } = await load(META, ['"r/a,1.jpg",d,NaN,0,ok,,1,', 'f/ä1.png,d,-0.1,1,ok,,1,', 'f/a2.png,d,inf,1,ok,,1,', 'r/b.jpg,d,,0,error,cannot decode,1,', 'nope.png,d,0.5,1,ok,,1,']);
    const t = scores();
    const d = t.detectors[0];
    expect(Array.from(d.status)).toEqual([STATUS.nonFinite, STATUS.outOfRange, STATUS.nonFinite, STATUS.error, STATUS.missing]);
    expect(d.counts).toMatchObject({ ok: 0, nonFinite: 2, outOfRange: 1, error: 1, missing: 1 });
    expect(Object.fromEntries(d.errors)).toEqual({ 'cannot decode': 1 });
    expect(t.unknownIds).toEqual({ count: 1, ids: ['nope.png'] });
  });

  it('names a misspelt predictions column', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'p.csv'), 'sample_id,detector,scroe,status\n');
    const { meta } = await load(META, []);
    expect(() => readScores(join(dir, 'p.csv'), meta)).toThrow(/missing the column 'score' \(found 'scroe'/);
  });
});

describe('reading metadata', () => {
  it('accepts real/fake and 0/1 labels, uses image_id as the pair, fails on a bad label with its line', async () => {
    const { meta } = await load(META);
    expect(Array.from(meta.label)).toEqual([0, 1, 1, 0, 1]);
    expect(meta.pairIds).toEqual(['a', 'b']);
    await expect(load([...META, 'c,x.png,Z,maybe,,'])).rejects.toThrow(/metadata.csv:7: label 'maybe'/);
  });

  it('fails on a duplicate image_path when it is looked up, and on any once the id index is built (after 16 lookups)', async () => {
    const { meta } = await load([...META, 'c,r/b.jpg,Z,real,,']);
    expect(() => meta.rowOf('r/b.jpg')).toThrow(/'r\/b.jpg' appears twice \(rows 4 and 6\)/);
    for (let i = 1; i < 16; i++) expect(meta.rowOf('f/a2.png')).toBe(2);
    expect(() => meta.rowOf('x')).toThrow(/'r\/b.jpg' appears twice \(rows 4 and 6\)/);
  });
});

describe('assigning slices', () => {
  it('quantile edges leave out fakes that fail QC; every fake still gets a bin; reals are left out of a fake-only slice', async () => {
    const { slices } = await load(META, [], [{ name: 'band', column: 'score_band', bins: { edges: [0.5] } }, { name: 'q', column: 'score_band', bins: 'quantile3' }]);
    const [fixed, q] = slices();
    expect(fixed.fakeOnly).toBe(true);
    expect(Array.from(fixed.codes)).toEqual([-1, 0, 1, -1, 1]);
    // QC passes: ä1 (1) and b1 (true), not a2 (0): basis 0.1, 0.5 → P25 0.2, P75 0.4
    expect(q.bins!.edges[0]).toBeCloseTo(0.2, 12);
    expect(q.bins!.edges[1]).toBeCloseTo(0.4, 12);
    expect(q.bins!.basis).toBe('fakes with pass_qc == 1');
    expect(q.values).toEqual(['small', 'medium', 'large']);
    expect(Array.from(q.codes)).toEqual([-1, 0, 2, -1, 2]);
  });

  it('a released category column replaces computed bins; a dataset column holds both classes', async () => {
    const meta = ['image_id,image_path,dataset,label,ratio,ratio_category', 'a,r.jpg,X,real,,', 'a,f1.png,X,fake,0.1,bin2', 'a,f2.png,X,fake,0.9,bin1', 'a,f3.png,X,fake,0.5,'];
    const { slices } = await load(meta, [], [{ name: 'ratio5', column: 'ratio', bins: 'quantile5', categoryColumn: 'ratio_category' }, { name: 'dataset', column: 'dataset' }]);
    const [ratio, dataset] = slices();
    expect(ratio.bins).toMatchObject({ source: 'category column', column: 'ratio_category', edges: [] });
    expect(ratio.values).toEqual(['bin1', 'bin2', '(missing)']);
    expect(Array.from(ratio.codes)).toEqual([-1, 1, 0, 2]);
    expect(dataset.fakeOnly).toBe(false);
  });

  // Goldens: tools/parity/make_paper_bins_goldens.py (binning.py edges, final_bins.py labels, the notebook's thin_bins).
  it("the paper's bins: pass_qc == 1 basis, area_ratio on inpainting only, a missing value in bin5, small/medium/large = bins 1/3/5", async () => {
    const dir = join(import.meta.dirname, '../goldens/paper-bins');
    const golden = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const names = ['post_edit_ratio_5bin', 'post_edit_ratio_paper', 'area_ratio_5bin', 'area_ratio_paper'];
    const { slices } = await load(readFileSync(join(dir, 'metadata.csv'), 'utf8').trimEnd().split('\n'), [], SEMITRUTHS_SLICES.filter((s) => names.includes(s.name)));
    const assigned = slices();
    for (const s of assigned) {
      expect(Array.from(s.codes, (c) => (c < 0 ? '' : s.values[c])), s.name).toEqual(golden.rows[s.name]);
      const metric = s.name.replace(/_(5bin|paper)$/, '');
      golden.edges[metric].forEach((e: number, i: number) => expect(s.bins!.edges[i]).toBeCloseTo(e, 14));
    }
    const [post5, postPaper, area5] = ['post_edit_ratio_5bin', 'post_edit_ratio_paper', 'area_ratio_5bin'].map((n) => assigned.find((s) => s.name === n)!);
    expect(post5.bins).toMatchObject({ basis: 'fakes with pass_qc == 1', missingValues: { to: 'bin5 (final_bins.py: no value fails every < edge)' } });
    const lines = readFileSync(join(dir, 'metadata.csv'), 'utf8').trimEnd().split('\n').slice(1);
    expect(post5.bins!.missingValues!.rows).toBe(lines.filter((l) => l.split(',')[3] === 'fake' && l.split(',')[6] === '').length);
    expect(postPaper.values).toEqual(['small', 'medium', 'large']);
    expect(postPaper.bins!.kept).toEqual({ bin1: 'small', bin3: 'medium', bin5: 'large' });
    expect(area5.bins!.basis).toBe('fakes with pass_qc == 1, method = inpainting only');
  });

  it('falls back to "not failing pass_qc" when no row has pass_qc == 1, and keeps a separate (missing) group on request', async () => {
    const meta = ['image_id,image_path,dataset,label,v,pass_qc', 'a,f1,X,fake,0.1,', 'a,f2,X,fake,0.2,0', 'a,f3,X,fake,,', 'a,f4,X,fake,0.4,'];
    const { slices } = await load(meta, [], [{ name: 'own', column: 'v', bins: 'quantile3', missingValue: 'own' }, { name: 'last', column: 'v', bins: 'quantile3' }]);
    const [own, last] = slices();
    expect(own.bins!.basis).toBe('fakes not failing pass_qc (no row has pass_qc == 1)');
    expect(own.bins!.n).toBe(2);
    expect(own.values[own.codes[2]]).toBe('(missing)');
    expect(last.values[last.codes[2]]).toBe('large');
    expect(last.bins!.missingValues).toEqual({ to: 'large (final_bins.py: no value fails every < edge)', rows: 1 });
  });

  it("the scene slices are fake-only, as the notebook's scene panels, even where the real row carries the category", async () => {
    const meta = ['image_id,image_path,dataset,label,scene_complexity,scene_complexity_category', 'a,r.jpg,X,real,2,low', 'a,f1.png,X,fake,2,low', 'b,r2.jpg,X,real,5,high', 'b,f2.png,X,fake,5,high'];
    const { slices } = await load(meta, [], SEMITRUTHS_SLICES.filter((s) => s.name === 'scene_complexity'));
    const [scene] = slices();
    expect(scene.fakeOnly).toBe(true);
    expect(Array.from(scene.codes, (c) => (c < 0 ? '' : scene.values[c]))).toEqual(['', 'low', '', 'high']);
  });
});
