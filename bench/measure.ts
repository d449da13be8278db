/**
 * Times the non-learned Semi-Truths change metrics (MSE, SSIM, post-edit ratio + component stats) on N procedural
 * 512×512 pairs with semibench, then the authors' Python code on the same pairs, and prints pairs/s and the ratio.
 *
 *   npx tsx bench/measure.ts [--n 20] [--rounds 3] [--python /usr/bin/python3] [--no-python]
 *
 * The Python side imports calc_mse / calc_ssim / calc_cc_ratio from tools/parity/make_change_goldens.py (copied from
 * SemiTruths/change_metrics/magnitude_change.py) and needs numpy, scikit-image 0.19, OpenCV and scipy. Its clock
 * starts after the interpreter and imports are up and the pairs are loaded: "compute" is the three calls per pair
 * (PIL image in, as calc_metrics passes them), "I/O" the raw-file reads, reported separately. semibench is timed
 * on in-memory images too. Both sides report the same pairs' results, compared at the end as a parity check.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changeRegions } from '../src/generation/change/change-regions.js';
import { measurePair } from '../src/generation/change/measure-pair.js';
import { pixelMse } from '../src/generation/change/pixel-mse.js';
import { ssimRgb } from '../src/generation/change/ssim.js';
import type { PairMetrics } from '../src/generation/change/types.js';
import type { RgbImage } from '../src/image/types.js';
import { uniform } from '../src/util/random.js';

const SIZE = 512;

interface Args {
  n: number;
  rounds: number;
  python: string;
  runPython: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { n: 20, rounds: 3, python: '/usr/bin/python3', runPython: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--n') args.n = Number(argv[++i]);
    else if (a === '--rounds') args.rounds = Number(argv[++i]);
    else if (a === '--python') args.python = argv[++i];
    else if (a === '--no-python') args.runPython = false;
    else throw new Error(`measure: unknown argument ${a} (known: --n, --rounds, --python, --no-python)`);
  }
  if (!(Number.isInteger(args.n) && args.n > 0)) throw new Error('measure: --n must be a positive integer');
  return args;
}


/**
 * A textured real image and an edit with a mix of what Semi-Truths edits look like: one or two large blobs,
 * scattered specks and low-amplitude noise everywhere (regenerated pixels are never bit-identical).
 */
function makePair(seed: number): { real: RgbImage; edited: RgbImage } {
  const rand = uniform(seed);
  const real = new Uint8Array(SIZE * SIZE * 3);
  const k = [rand() * 0.3, rand() * 0.3, rand() * 0.3];
  for (let y = 0, p = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      for (let c = 0; c < 3; c++, p++) {
        const v = 60 + k[c] * (x + y) + 25 * Math.sin((x + 7 * c) / 13) * Math.cos(y / 19) + (rand() - 0.5) * 40;
        real[p] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  const edited = new Uint8Array(real);
  for (let p = 0; p < edited.length; p++) edited[p] = Math.max(0, Math.min(255, edited[p] + Math.round((rand() - 0.5) * 16)));
  const blobs = 1 + Math.floor(rand() * 2);
  for (let b = 0; b < blobs; b++) {
    const cy = rand() * SIZE, cx = rand() * SIZE, ry = 20 + rand() * 90, rx = 20 + rand() * 90;
    const col = [rand() * 255, rand() * 255, rand() * 255];
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(SIZE, cy + ry); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(SIZE, cx + rx); x++) {
        if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1) for (let c = 0; c < 3; c++) edited[(y * SIZE + x) * 3 + c] = col[c];
      }
    }
  }
  const specks = 20 + Math.floor(rand() * 60);
  for (let s = 0; s < specks; s++) {
    const y0 = Math.floor(rand() * (SIZE - 8)), x0 = Math.floor(rand() * (SIZE - 8));
    const h = 1 + Math.floor(rand() * 7), w = 1 + Math.floor(rand() * 7);
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) for (let c = 0; c < 3; c++) {
      const p = (y * SIZE + x) * 3 + c;
      edited[p] = 255 - real[p];
    }
  }
  return { real: { width: SIZE, height: SIZE, data: real }, edited: { width: SIZE, height: SIZE, data: edited } };
}

interface Timing {
  total: number;
  mse: number;
  ssim: number;
  regions: number;
}

function timeSemibench(pairs: { real: RgbImage; edited: RgbImage }[], rounds: number): { best: Timing; results: PairMetrics[] } {
  // Warm-up so the JIT has compiled the hot loops.
  for (const p of pairs.slice(0, 2)) measurePair(p.real, p.edited);
  let best: Timing | null = null;
  let results: PairMetrics[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    results = pairs.map((p) => measurePair(p.real, p.edited));
    const total = (performance.now() - t0) / 1000;
    // Stage breakdown in a separate pass (the stages as measurePair runs them).
    let mse = 0, ssim = 0, regions = 0;
    for (const p of pairs) {
      const a = performance.now();
      const m = pixelMse(p.real, p.edited);
      const b = performance.now();
      ssimRgb(p.real, p.edited);
      const c = performance.now();
      changeRegions(m.changed, SIZE, SIZE);
      const d = performance.now();
      mse += b - a; ssim += c - b; regions += d - c;
    }
    const t: Timing = { total, mse: mse / 1000, ssim: ssim / 1000, regions: regions / 1000 };
    if (!best || t.total < best.total) best = t;
  }
  return { best: best!, results };
}

const PYTHON = String.raw`
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from PIL import Image
import make_change_goldens as ref   # the authors' calc_mse / calc_ssim / calc_cc_ratio
path, n, size, rounds = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
t0 = time.perf_counter()
raw = np.fromfile(path, dtype=np.uint8).reshape(n, 2, size, size, 3)
pairs = [(Image.fromarray(raw[i, 0]), Image.fromarray(raw[i, 1])) for i in range(n)]
io_s = time.perf_counter() - t0
best = None
for r in range(rounds):
    mse_s = ssim_s = cc_s = 0.0
    results = []
    for real, fake in pairs:
        a = time.perf_counter()
        mse_rgb, binary_rgb, _ = ref.calc_mse(real, fake)
        b = time.perf_counter()
        ssim_rgb = ref.calc_ssim(real, fake)
        c = time.perf_counter()
        ratio, _, clusters, dist, total, largest, _, _ = ref.calc_cc_ratio(binary_rgb)
        d = time.perf_counter()
        mse_s += b - a; ssim_s += c - b; cc_s += d - c
        results.append([float(mse_rgb), float(ssim_rgb), float(ratio), int(largest), int(clusters), float(dist), int(total)])
    t = {'total': mse_s + ssim_s + cc_s, 'mse': mse_s, 'ssim': ssim_s, 'regions': cc_s}
    if best is None or t['total'] < best['total']:
        best = t
print(json.dumps({'io_s': io_s, 'best': best, 'results': results}))
`;

function timePython(args: Args, pairs: { real: RgbImage; edited: RgbImage }[]) {
  const dir = mkdtempSync(join(tmpdir(), 'semibench-measure-'));
  try {
    const file = join(dir, 'pairs.rgb');
    const buf = new Uint8Array(pairs.length * 2 * SIZE * SIZE * 3);
    pairs.forEach((p, i) => {
      buf.set(p.real.data, (2 * i) * SIZE * SIZE * 3);
      buf.set(p.edited.data, (2 * i + 1) * SIZE * SIZE * 3);
    });
    writeFileSync(file, buf);
    const parity = fileURLToPath(new URL('../tools/parity/', import.meta.url));
    const run = spawnSync(args.python, ['-c', PYTHON, parity, file, String(pairs.length), String(SIZE), String(args.rounds)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (run.status !== 0) throw new Error(`python reference failed (${args.python}): ${run.stderr || run.error}`);
    return JSON.parse(run.stdout) as { io_s: number; best: Timing; results: number[][] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(t: Timing, n: number): string {
  const ms = (s: number) => ((s / n) * 1000).toFixed(2).padStart(7);
  return `${(n / t.total).toFixed(1).padStart(7)} pairs/s | per pair: total ${ms(t.total)} ms  mse ${ms(t.mse)}  ssim ${ms(t.ssim)}  regions ${ms(t.regions)}`;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const pairs = Array.from({ length: args.n }, (_, i) => makePair(1000 + i));
  const ts = timeSemibench(pairs, args.rounds);
  console.log(`change metrics, ${args.n} pairs of ${SIZE}x${SIZE}, best of ${args.rounds} rounds (compute only)`);
  console.log(`semibench  ${fmt(ts.best, args.n)}`);
  if (!args.runPython) return;
  const py = timePython(args, pairs);
  console.log(`python     ${fmt(py.best, args.n)}   (+ I/O ${(py.io_s * 1000).toFixed(1)} ms total, not counted)`);
  console.log(`speed-up   ${(py.best.total / ts.best.total).toFixed(2)}x (semibench pairs/s ÷ python pairs/s)`);

  // Parity on the benchmark pairs: counts exact, floats within 1e-6.
  let mismatches = 0;
  py.results.forEach(([mse, ssim, ratio, largest, clusters, dist, total], i) => {
    const m = ts.results[i];
    const ok =
      m.totalPixels === total && m.largestComponentSize === largest && m.ccClusters === clusters &&
      Math.abs(m.mse - mse) <= 1e-6 && Math.abs(m.ssim - ssim) <= 1e-6 &&
      Math.abs(m.postEditRatio - ratio) <= 1e-6 && Math.abs(m.clusterDist - dist) <= 1e-6;
    if (!ok) mismatches++;
  });
  console.log(`parity     ${args.n - mismatches}/${args.n} pairs agree with the Python reference`);
  if (mismatches) process.exitCode = 1;
}

main();
