/**
 * The CPU an image costs outside inference (issue 14 §3): on two cores onnxruntime keeps both busy, so every
 * millisecond of reading, hashing, decoding and preprocessing is taken from it. Per image and stage, the median
 * CPU time (process.cpuUsage: every thread of the process, libvips' and libuv's included) and wall time, for
 * semibench's runner path and for the Python pipeline it reproduces (bench/decode_ref.py: open().read(),
 * hashlib.sha256, PIL decode, run_1.py's transform), in rounds that alternate the two so load changes hit both.
 *
 *   npm run bench:decode [-- --reps 20 --rounds 3]
 *
 * Stages (semibench / Python):
 * - read: readDataFile (confined to the data folder, as the runner reads a folder's images) / open().read();
 * - hash: imageKey (sha256 of the bytes: the score cache key) / hashlib.sha256;
 * - decode: decodeImage (one sharp call, Pillow's rules) / Image.open(BytesIO).convert('RGB');
 * - preprocess: the semitruths protocol (Resize 256, CenterCrop 224, ToTensor, Normalize, clamp) / torchvision.
 * Images: procedural photo-like JPEGs (q90) and PNGs at 256², 512² and 2048×1536, as bench/run.ts makes them, and a
 * 2048×1536 RGBA PNG.
 * Then, for the decode alone, sharp's own cost: a 16×16 image (the fixed cost of one call) and variants of the
 * sharp call at each size (options that could have made it cheaper), CPU ms.
 * The 1-minute load average is printed beside each side's figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { SEMITRUTHS_PROTOCOL } from '../src/detectors/zoo/protocols.js';
import { decodeImage } from '../src/image/decode.js';
import { preprocess } from '../src/image/pipeline.js';
import type { RgbImage } from '../src/image/types.js';
import { imageKey } from '../src/loaders/sample.js';
import { readDataFile } from '../src/util/fs.js';
import { writeBenchImage } from './images.js';

const PYTHON = '/usr/bin/python3';
const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : fallback);
const REPS = arg('reps', 20);
const ROUNDS = arg('rounds', 3);
const SIZES: [number, number][] = [[256, 256], [512, 512], [2048, 1536]];
const STAGES = ['read', 'hash', 'decode', 'preprocess'] as const;
type Stage = (typeof STAGES)[number];
/** [cpu ms, wall ms] per stage. */
type Figures = Record<Stage, [number, number]>;

const load = () => loadavg()[0].toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];


/** One image through the runner's stages, each timed. */
async function once(dir: string, path: string): Promise<Figures> {
  const out = {} as Figures;
  let c = process.cpuUsage();
  let w = performance.now();
  const lap = (stage: Stage) => {
    const used = process.cpuUsage(c);
    out[stage] = [(used.user + used.system) / 1000, performance.now() - w];
    c = process.cpuUsage();
    w = performance.now();
  };
  const bytes = await readDataFile(dir, path);
  lap('read');
  imageKey(bytes);
  lap('hash');
  const image = await decodeImage(bytes);
  lap('decode');
  await preprocess(image, SEMITRUTHS_PROTOCOL);
  lap('preprocess');
  return out;
}

async function ours(dir: string, path: string): Promise<Figures> {
  await once(dir, path);
  const runs: Figures[] = [];
  for (let i = 0; i < REPS; i++) runs.push(await once(dir, path));
  return Object.fromEntries(STAGES.map((s) => [s, [median(runs.map((r) => r[s][0])), median(runs.map((r) => r[s][1]))]])) as Figures;
}

function reference(paths: string[]): Record<string, Figures> | undefined {
  const py = spawnSync(PYTHON, [join(import.meta.dirname, 'decode_ref.py'), String(REPS), ...paths], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (py.status !== 0) {
    console.log(`Python side not measured: ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}`);
    return undefined;
  }
  return JSON.parse(py.stdout);
}

/** Median CPU ms of `fn` over REPS calls (after two warm-up calls). */
async function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const c = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(c);
    ms.push((used.user + used.system) / 1000);
  }
  return median(ms);
}

/** Ways to call sharp for the decode, against decodeImage: each was a candidate for a cheaper call. */
const VARIANTS: [string, (b: Buffer) => Promise<unknown>][] = [
  ['decodeImage', (b) => decodeImage(b)],
  ['sharp(b).raw()', (b) => sharp(b).raw().toBuffer()],
  ['+ sequentialRead', (b) => sharp(b, { sequentialRead: true }).raw().toBuffer()],
  ['+ unlimited', (b) => sharp(b, { unlimited: true }).raw().toBuffer()],
  ['+ failOn none', (b) => sharp(b, { failOn: 'none' }).raw().toBuffer()],
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'semibench-decode-'));
  try {
    const paths: string[] = [];
    for (const [w, h] of SIZES) {
      for (const ext of ['jpg', 'png']) {
        const path = join(dir, `${w}x${h}.${ext}`);
        await writeBenchImage(path, w, h, 7);
        paths.push(path);
      }
    }
    // an edit saved with an alpha channel (RGBA PNG)
    paths.push(join(dir, '2048x1536-rgba.png'));
    await writeBenchImage(paths[paths.length - 1], 2048, 1536, 7, true);
    console.log(`decode bench: CPU ms per image outside inference (wall ms in brackets), median of ${REPS} per round, ` +
      `median of ${ROUNDS} rounds; ${availableParallelism()} cores, sharp concurrency ${sharp.concurrency()}, node ${process.version}`);
    const mine: Record<string, Figures[]> = {};
    const theirs: Record<string, Figures[]> = {};
    const loads: { ours: string[]; python: string[] } = { ours: [], python: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // alternate which side goes first
      const sides = [
        async () => {
          loads.ours.push(load());
          for (const p of paths) (mine[p] ??= []).push(await ours(dir, p));
        },
        async () => {
          loads.python.push(load());
          const ref = reference(paths);
          if (ref) for (const p of paths) (theirs[p] ??= []).push(ref[p]);
        },
      ];
      for (const side of round % 2 ? sides.reverse() : sides) await side();
    }
    const pick = (runs: Figures[] | undefined, s: Stage | 'total') => {
      if (!runs?.length) return undefined;
      const per = (f: Figures) => (s === 'total' ? STAGES.reduce((sum, k) => [sum[0] + f[k][0], sum[1] + f[k][1]], [0, 0]) : f[s]);
      return [median(runs.map((f) => per(f)[0])), median(runs.map((f) => per(f)[1]))];
    };
    const fmt = (v: number[] | undefined) => (v ? `${v[0].toFixed(2)} [${v[1].toFixed(2)}]` : 'n/a').padStart(15);
    console.log(`load while semibench ran: ${loads.ours.join(', ')}; while Python ran: ${loads.python.join(', ') || 'n/a'}`);
    console.log('image              | stage      |       semibench |          Python | Python/semibench (CPU)');
    for (const p of paths) {
      const name = p.slice(dir.length + 1);
      for (const s of [...STAGES, 'total'] as const) {
        const a = pick(mine[p], s);
        const b = pick(theirs[p], s);
        console.log(`${(s === 'read' ? name : '').padEnd(18)} | ${s.padEnd(10)} | ${fmt(a)} | ${fmt(b)} | ${a && b ? `${(b[0] / a[0]).toFixed(2)}x` : 'n/a'}`);
      }
    }

    const tiny = join(dir, '16x16.jpg');
    await writeBenchImage(tiny, 16, 16, 7);
    console.log(`\nsharp decode alone, CPU ms per call (load ${load()}); the 16x16 JPEG is the fixed cost of one call`);
    console.log(`variant           | ${[tiny, ...paths].map((p) => p.slice(dir.length + 1).padStart(13)).join(' | ')}`);
    const bytes = [tiny, ...paths].map((p) => readFileSync(p));
    const rows: string[][] = VARIANTS.map(([name]) => [name.padEnd(17)]);
    // image by image, the variants interleaved
    for (const b of bytes) for (let v = 0; v < VARIANTS.length; v++) rows[v].push((await cpuMs(() => VARIANTS[v][1](b))).toFixed(2).padStart(13));
    for (const row of rows) console.log(row.join(' | '));
    // sharp's operation cache on and off, in alternating blocks (it is process-wide)
    const jpeg512 = readFileSync(join(dir, '512x512.jpg'));
    const withCache: number[] = [];
    const without: number[] = [];
    for (let block = 0; block < 6; block++) {
      sharp.cache(block % 2 === 0);
      (block % 2 === 0 ? withCache : without).push(await cpuMs(() => decodeImage(jpeg512)));
    }
    console.log(`decodeImage 512x512.jpg with sharp's operation cache: ${median(withCache).toFixed(2)}, with sharp.cache(false): ${median(without).toFixed(2)} (load ${load()})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
