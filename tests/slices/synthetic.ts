import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assignSlices } from '../../src/slices/assign.js';
import { detectorView, type DetectorView } from '../../src/slices/detector-view.js';
import { readHeader, readMetadata, type MetadataTable } from '../../src/slices/metadata.js';
import { planSlices } from '../../src/slices/plan.js';
import { readScores } from '../../src/slices/scores.js';
import type { SliceSpec } from '../../src/slices/spec.js';
import { uniform } from '../../src/util/random.js';
import { tempDir } from '../helpers.js';

/** Slices of the synthetic set: `ds` holds both classes, `grp` only fakes. */
export const SYNTHETIC_SLICES: SliceSpec[] = [
  { name: 'ds', column: 'ds' },
  { name: 'grp', column: 'grp' },
];

/**
 * A random eval set written to disk and read back through the report's readers: `images` source photos,
 * each with a real and 0..`maxEdits` edits, scores on a coarse grid (so ties happen), some reals unscored
 * (so some fakes are unpaired). Returns the metadata, one detector's view, and the assigned slices.
 */
export async function syntheticSet(seed: number, images: number, maxEdits: number) {
  const next = uniform(seed);
  const dir = tempDir('semibench-syn-');
  mkdirSync(join(dir, 'data'));
  const meta = ['image_id,image_path,dataset,label,ds,grp'];
  const preds = ['sample_id,detector,score,label,status,error,ms,cache_key'];
  for (let i = 0; i < images; i++) {
    const ds = `d${i % 3}`;
    meta.push(`img${i},real/${i}.jpg,${ds},real,${ds},`);
    const realScore = Math.round(next() * 20) / 20;
    if (next() > 0.1) preds.push(`real/${i}.jpg,det,${realScore},0,ok,,1,`);
    const edits = Math.floor(next() * (maxEdits + 1));
    for (let e = 0; e < edits; e++) {
      meta.push(`img${i},fake/${i}_${e}.png,${ds},fake,${ds},g${Math.floor(next() * 3)}`);
      const s = Math.min(1, Math.max(0, Math.round((realScore + (next() - 0.3) * 0.6) * 20) / 20));
      preds.push(`fake/${i}_${e}.png,det,${s},1,ok,,1,`);
    }
  }
  writeFileSync(join(dir, 'data', 'metadata.csv'), `${meta.join('\n')}\n`);
  writeFileSync(join(dir, 'predictions.csv'), `${preds.join('\n')}\n`);
  const plan = planSlices(SYNTHETIC_SLICES, readHeader(join(dir, 'data')));
  const table: MetadataTable = await readMetadata(join(dir, 'data'), plan.needs);
  const scores = readScores(join(dir, 'predictions.csv'), table);
  const view: DetectorView = detectorView(table, scores.detectors[0]);
  return { dir, meta: table, view, slices: assignSlices(plan.slices, table) };
}

/** A group's rows in rank order (what the report feeds the metrics), as labels, scores and pair ids. */
export function groupColumns(view: DetectorView, codes: Int32Array, group: number): { labels: Uint8Array; scores: Float64Array; pairIds: string[] } {
  const rows = Array.from(view.order).filter((r) => codes[r] === group);
  return {
    labels: Uint8Array.from(rows, (r) => view.meta.label[r]),
    scores: Float64Array.from(rows, (r) => view.scores.score[r]),
    pairIds: rows.map((r) => view.meta.pairIds[view.meta.pair[r]]),
  };
}
