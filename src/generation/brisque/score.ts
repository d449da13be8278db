// The `brisque` package's quality score: features scaled to [-1, 1] with its normalize.pickle, then its libsvm
// epsilon-SVR (RBF). libsvm's svm_predict_probability returns the plain regression value for an SVR model.
import { readFileSync } from 'node:fs';
import type { RgbImage } from '../../image/types.js';
import { brisqueFeatures } from './features.js';

interface SvrModel {
  min: number[];
  max: number[];
  gamma: number;
  rho: number;
  coefs: Float64Array;
  /** support vectors, 36 per row */
  svs: Float64Array;
}

const FEATURES = 36;
let model: SvrModel | undefined;

function loadModel(): SvrModel {
  const dir = new URL('./model/', import.meta.url);
  const norm = JSON.parse(readFileSync(new URL('normalize.json', dir), 'utf8')) as { min_: number[]; max_: number[] };
  let gamma = NaN;
  let rho = NaN;
  const coefs: number[] = [];
  const svs: number[] = [];
  let inSv = false;
  for (const line of readFileSync(new URL('svm.txt', dir), 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === '') continue;
    if (inSv) {
      coefs.push(Number(parts[0]));
      const sv = new Array<number>(FEATURES).fill(0);
      for (const p of parts.slice(1)) {
        const [k, v] = p.split(':');
        sv[Number(k) - 1] = Number(v);
      }
      svs.push(...sv);
    } else if (parts[0] === 'gamma') gamma = Number(parts[1]);
    else if (parts[0] === 'rho') rho = Number(parts[1]);
    else if (parts[0] === 'SV') inSv = true;
  }
  return { min: norm.min_, max: norm.max_, gamma, rho, coefs: Float64Array.from(coefs), svs: Float64Array.from(svs) };
}

/** The SVR prediction for 36 raw features. */
export function brisqueFromFeatures(features: number[]): number {
  model ??= loadModel();
  const { min, max, gamma, rho, coefs, svs } = model;
  const x = features.map((f, i) => -1 + (2.0 / (max[i] - min[i])) * (f - min[i]));
  let sum = 0;
  for (let s = 0; s < coefs.length; s++) {
    let d2 = 0;
    for (let i = 0; i < FEATURES; i++) d2 += (svs[s * FEATURES + i] - x[i]) ** 2;
    sum += coefs[s] * Math.exp(-gamma * d2);
  }
  return sum - rho;
}

/** BRISQUE score of an RGB image as `brisque.BRISQUE().score(np.array(img))` gives it (lower is better). */
export function brisqueScore(img: RgbImage): number {
  return brisqueFromFeatures(brisqueFeatures(img));
}
