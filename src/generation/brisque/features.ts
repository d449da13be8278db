// BRISQUE's 36 natural-scene-statistics features, as the `brisque` Python package (rehanguha/brisque) computes
// them: skimage rgb2gray, MSCN with a 7x7 Gaussian (sigma 7/6, scipy convolve2d 'same', zero padding), an
// asymmetric generalised Gaussian fit of the MSCN map and its four pairwise products, at full and half scale
// (cv2.resize INTER_CUBIC, fx = fy = 0.5). Goldens: tools/parity/make_brisque_goldens.py.
import type { RgbImage } from '../../image/types.js';

/** A float64 greyscale plane in row-major order. */
export interface FloatPlane {
  width: number;
  height: number;
  data: Float64Array;
}

/** skimage.color.rgb2gray of an 8-bit image: img_as_float (x * (1/255)) then the Rec.709 luma weights. */
export function rgb2gray(img: RgbImage): FloatPlane {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  const s = 1 / 255;
  for (let i = 0; i < n; i++) {
    const d = img.data;
    out[i] = d[3 * i] * s * 0.2125 + d[3 * i + 1] * s * 0.7154 + d[3 * i + 2] * s * 0.0721;
  }
  return { width: img.width, height: img.height, data: out };
}

function gaussianKernel(n: number, sigma: number): Float64Array {
  const k = new Float64Array(n * n);
  const half = Math.floor(n / 2);
  let sum = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const X = x - half;
      const Y = y - half;
      k[y * n + x] = (1 / (2 * Math.PI * sigma ** 2)) * Math.exp(-(X * X + Y * Y) / (2 * sigma ** 2));
      sum += k[y * n + x];
    }
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** scipy.signal.convolve2d(img, kernel, 'same') for an odd, point-symmetric kernel (zero padding). */
function convolveSame(p: FloatPlane, k: Float64Array, n: number): Float64Array {
  const { width: w, height: h, data } = p;
  const half = (n - 1) / 2;
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let dy = -half; dy <= half; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        const row = yy * w;
        const krow = (dy + half) * n + half;
        for (let dx = -half; dx <= half; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          acc += data[row + xx] * k[krow + dx];
        }
      }
      out[y * w + x] = acc;
    }
  }
  return out;
}

/** Mean-subtracted contrast-normalised coefficients; the deviation is sqrt(|mu^2 - E[x^2]|) as the package has it. */
export function mscn(p: FloatPlane): Float64Array {
  const C = 1 / 255;
  const k = gaussianKernel(7, 7 / 6);
  const mu = convolveSame(p, k, 7);
  const sq = new Float64Array(p.data.length);
  for (let i = 0; i < sq.length; i++) sq[i] = p.data[i] ** 2;
  const ex2 = convolveSame({ ...p, data: sq }, k, 7);
  const out = new Float64Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (p.data[i] - mu[i]) / (Math.sqrt(Math.abs(mu[i] ** 2 - ex2[i])) + C);
  return out;
}

/** cv2.resize(grey, None, fx=0.5, fy=0.5, INTER_CUBIC) on a float64 image (OpenCV's generic path, replicate border). */
export function halfCubic(p: FloatPlane): FloatPlane {
  // OpenCV rounds the size with cvRound (half to even); at scale 2 every sample sits at fraction 0.5, whose cubic
  // weights (A = -0.75) are exact in float32.
  const w2 = roundHalfEven(p.width * 0.5);
  const h2 = roundHalfEven(p.height * 0.5);
  const wt = [-0.09375, 0.59375, 0.59375, -0.09375];
  const { width: w, height: h, data } = p;
  const clampI = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  const rows = new Float64Array(w2 * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w2; x++) {
      const sx = 2 * x;
      let v = 0;
      for (let j = 0; j < 4; j++) v += data[y * w + clampI(sx - 1 + j, w)] * wt[j];
      rows[y * w2 + x] = v;
    }
  }
  const out = new Float64Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    const sy = 2 * y;
    const r0 = clampI(sy - 1, h) * w2, r1 = clampI(sy, h) * w2, r2 = clampI(sy + 1, h) * w2, r3 = clampI(sy + 2, h) * w2;
    for (let x = 0; x < w2; x++) {
      out[y * w2 + x] = wt[0] * rows[r0 + x] + wt[1] * rows[r1 + x] + wt[2] * rows[r2 + x] + wt[3] * rows[r3 + x];
    }
  }
  return { width: w2, height: h2, data: out };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Lanczos approximation (g = 7, n = 9), relative error ~1e-15 over the arguments the fit uses.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function gammaFn(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gammaFn(1 - x));
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, x + 0.5) * Math.exp(-t) * a;
}
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a)), increasing in a from 0 towards 0.75. */
function phi(a: number): number {
  return Math.exp(2 * lnGamma(2 / a) - lnGamma(1 / a) - lnGamma(3 / a));
}

/**
 * The shape alpha with phi(alpha) = R. The package solves it with scipy.optimize.root from 0.2 (MINPACK hybrd,
 * relative tolerance 1.5e-8); phi is monotone, so bisection to machine precision finds the same root. When
 * R >= 0.75 there is no root (tiny images): hybrd then stops at an arbitrary large alpha and this stops at 1e3;
 * either saturates the SVR to the same score.
 */
function solveAlpha(R: number): number {
  if (!Number.isFinite(R)) return NaN;
  let lo = 1e-3;
  let hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = Math.sqrt(lo * hi);
    if (phi(mid) < R) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

/** The package's asymmetric generalised Gaussian fit: [alpha, mean, sigma_l, sigma_r]. */
export function aggdFit(x: ArrayLike<number>): [number, number, number, number] {
  const n = x.length;
  let absSum = 0, sqSum = 0, negSq = 0, posSq = 0, negN = 0, posN = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    absSum += Math.abs(v);
    sqSum += v * v;
    if (v < 0) { negSq += v * v; negN++; } else if (v >= 0) { posSq += v * v; posN++; }
  }
  const rHat = (absSum / n) ** 2 / (sqSum / n);
  const sigmaL = Math.sqrt(negSq / negN);
  const sigmaR = Math.sqrt(posSq / posN);
  const gamma = sigmaL / sigmaR;
  const RHat = (rHat * ((gamma ** 3 + 1) * (gamma + 1))) / (gamma ** 2 + 1) ** 2;
  const alpha = solveAlpha(RHat);
  const constant = Math.sqrt(gammaFn(1 / alpha) / gammaFn(3 / alpha));
  const mean = (sigmaR - sigmaL) * constant * (gammaFn(2 / alpha) / gammaFn(1 / alpha));
  return [alpha, mean, sigmaL, sigmaR];
}

/** 18 features of one scale: (alpha, var) of MSCN, then (alpha, mean, var_l, var_r) of H, V, D1, D2 products. */
function scaleFeatures(p: FloatPlane): number[] {
  const m = mscn(p);
  const { width: w, height: h } = p;
  const pair = (dx0: number, dy0: number, dx1: number, dy1: number, pw: number, ph: number) => {
    const out = new Float64Array(pw * ph);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) out[y * pw + x] = m[(y + dy0) * w + x + dx0] * m[(y + dy1) * w + x + dx1];
    }
    return out;
  };
  const [a, , sl, sr] = aggdFit(m);
  const feats = [a, (sl ** 2 + sr ** 2) / 2];
  const products = [
    pair(0, 0, 1, 0, w - 1, h), // horizontal
    pair(0, 0, 0, 1, w, h - 1), // vertical
    pair(0, 0, 1, 1, w - 1, h - 1), // main diagonal
    pair(0, 1, 1, 0, w - 1, h - 1), // secondary diagonal: m[1:, :-1] * m[:-1, 1:]
  ];
  for (const c of products) {
    const [alpha, mean, l, r] = aggdFit(c);
    feats.push(alpha, mean, l ** 2, r ** 2);
  }
  return feats;
}

/** The 36 BRISQUE features of an RGB image (full scale, then half scale). */
export function brisqueFeatures(img: RgbImage): number[] {
  const grey = rgb2gray(img);
  return [...scaleFeatures(grey), ...scaleFeatures(halfCubic(grey))];
}
