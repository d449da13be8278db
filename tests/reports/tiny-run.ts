import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, type BenchConfig } from '../../src/config/index.js';
import type { SliceSpec } from '../../src/slices/spec.js';
import { tempDir } from '../helpers.js';

/**
 * A hand-made eval set small enough to work every number out on paper (the expected values in the tests
 * are derived in comments next to them). Four source photos in two datasets, six edits:
 *
 *   image  dataset  real   edits (method, model, ratio, score of `det`)
 *   A      D1       0.2    A1 inpainting M1 0.1 0.7 | A2 p2p M2 – 0.1
 *   B      D1       0.6    B1 inpainting M1 0.3 0.6
 *   C      D2       0.4    C1 inpainting M2 0.5 0.8 | C2 p2p M1 – 0.3
 *   D      D2       0.9    D1 inpainting M2 0.7 0.95
 *
 * `det2` has the same scores except: A2 'nan', C2 an error row, D1 1.5 (out of range), no row for real B,
 * and one row for a sample the metadata does not have.
 */
export const TINY_METADATA = [
  'image_id,image_path,dataset,entities,label,method,model,ratio,sem_magnitude,pass_qc',
  `A,real/A.jpg,D1,"['sky', 'car']",real,,,,,`,
  `B,real/B.jpg,D1,"['sky']",real,,,,,`,
  `C,real/C.jpg,D2,"['sky', 'tree', 'car']",real,,,,,`,
  `D,real/D.jpg,D2,"['sky', 'road']",real,,,,,`,
  `A,fake/A1.png,D1,"['sky', 'car']",fake,inpainting,M1,0.1,small,1`,
  `A,fake/A2.png,D1,"['sky', 'car']",fake,p2p,M2,,large,1`,
  `B,fake/B1.png,D1,"['sky']",fake,inpainting,M1,0.3,small,1`,
  `C,fake/C1.png,D2,"['sky', 'tree', 'car']",fake,inpainting,M2,0.5,large,1`,
  `C,fake/C2.png,D2,"['sky', 'tree', 'car']",fake,p2p,M1,,small,0`,
  `D,fake/D1.png,D2,"['sky', 'road']",fake,inpainting,M2,0.7,large,1`,
];

const SCORES: Record<string, number> = {
  'real/A.jpg': 0.2,
  'real/B.jpg': 0.6,
  'real/C.jpg': 0.4,
  'real/D.jpg': 0.9,
  'fake/A1.png': 0.7,
  'fake/A2.png': 0.1,
  'fake/B1.png': 0.6,
  'fake/C1.png': 0.8,
  'fake/C2.png': 0.3,
  'fake/D1.png': 0.95,
};

/** predictions.csv rows (runner format) for `det` and `det2`. */
export function tinyPredictions(): string {
  const lines = ['sample_id,detector,score,label,status,error,ms,cache_key'];
  for (const [id, s] of Object.entries(SCORES)) lines.push(`${id},det,${s},${id.startsWith('fake') ? 1 : 0},ok,,1,x`);
  for (const [id, s] of Object.entries(SCORES)) {
    const label = id.startsWith('fake') ? 1 : 0;
    if (id === 'real/B.jpg') continue;
    if (id === 'fake/A2.png') lines.push(`${id},det2,nan,${label},ok,,1,x`);
    else if (id === 'fake/C2.png') lines.push(`${id},det2,,${label},error,"decode failed: bad ""PNG"", truncated",1,x`);
    else if (id === 'fake/D1.png') lines.push(`${id},det2,1.5,${label},ok,,1,x`);
    else lines.push(`${id},det2,${s},${label},ok,,1,x`);
  }
  lines.push('ghost/none.png,det2,0.5,1,ok,,1,x');
  return `${lines.join('\n')}\n`;
}

/** The slices the tiny tests use: categorical, fake-only, fixed bins with an empty bin, quantiles, a cross. */
export const TINY_SLICES: SliceSpec[] = [
  { name: 'dataset', column: 'dataset' },
  { name: 'method', column: 'method' },
  { name: 'model', column: 'model' },
  { name: 'area', column: 'ratio', bins: { edges: [0.2, 0.6, 0.65], labels: ['small', 'medium', 'mid', 'large'] } },
  { name: 'area_q3', column: 'ratio', bins: 'quantile3' },
  { name: 'sem_magnitude', column: 'sem_magnitude' },
  { name: 'method_x_model', cross: ['method', 'model'] },
  { name: 'scene_diversity', column: 'scene_diversity', bins: 'meanStd', over: 'images' },
  { name: 'ssim', column: ['ssim', 'ssim_rgb'], bins: 'quantile3', optional: true },
];

/** Writes the tiny eval set and a run folder; returns their paths and a config for them. */
export function tinyRun(opts: { predictions?: string; slices?: SliceSpec[] } = {}): { data: string; run: string; config: BenchConfig } {
  const root = tempDir('semibench-tiny-');
  const data = join(root, 'data');
  const run = join(root, 'run');
  mkdirSync(data, { recursive: true });
  mkdirSync(run, { recursive: true });
  writeFileSync(join(data, 'metadata.csv'), `${TINY_METADATA.join('\n')}\n`);
  writeFileSync(join(run, 'predictions.csv'), opts.predictions ?? tinyPredictions());
  const config: BenchConfig = {
    ...DEFAULTS,
    data,
    out: run,
    modelsDir: join(root, 'models'),
    manifestsDir: join(root, 'manifests'),
    slices: opts.slices ?? TINY_SLICES,
    bootstrap: { resamples: 200, seed: 7 },
  };
  return { data, run, config };
}
