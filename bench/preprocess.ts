/**
 * Preprocessing cost: our Pillow-exact pipeline vs PIL + torchvision (bench/preprocess_pil.py, run with
 * /usr/bin/python3 on the same JPEGs right after ours, per image size) and vs an all-sharp approximation, ms per image.
 *
 *   npx tsx bench/preprocess.ts [--iterations N]      (npm run bench:preprocess)
 *
 * Pipeline (torchvision / run_1): decode → Resize(256) bilinear → CenterCrop(224) → ToTensor → Normalize(ImageNet).
 * - ours: decodeImage (sharp decode, Pillow rules) + the TS port of Pillow's resampler (Resize + CenterCrop fused:
 *   only the kept window is resampled, same bytes) + TS tensor ops;
 * - sharp: sharp(file).resize(w, h, { kernel: 'linear' }).extract(crop).raw() (libvips resize, default
 *   shrink-on-load) + the same TS ToTensor/Normalize. Not bit-exact (docs/image-parity.md).
 * - PIL: Image.open().convert('RGB') + torchvision Resize/CenterCrop/ToTensor/Normalize (the reference).
 * Images are procedural JPEGs (q90, 4:2:0) written to a temp dir. One image at a time, sequentially. The 1-minute
 * load average is printed beside each side's figures: on a shared machine compare ratios, not milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { roundHalfEven } from '../src/image/crop.js';
import { decodeImage } from '../src/image/decode.js';
import type { PreprocessOp } from '../src/image/ops.js';
import { preprocess } from '../src/image/pipeline.js';
import { resizedOutputSize, tvResizeCenterCrop } from '../src/image/resize.js';
import { normalize, toNormalizedTensor, toTensor } from '../src/image/tensor.js';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const OPS: PreprocessOp[] = [
  { op: 'resize', size: 256 },
  { op: 'centerCrop', size: 224 },
  { op: 'toTensor' },
  { op: 'normalize', mean: MEAN, std: STD },
];
const SIZES: [number, number][] = [
  [512, 512],
  [640, 480],
  [2000, 1500],
];

/** Gradients + noise + stripes, so the JPEG is not trivially compressible. */
async function writeJpeg(path: string, width: number, height: number): Promise<void> {
  const data = new Uint8Array(width * height * 3);
  let seed = 12345;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) - 128;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const stripe = (x + y) % 7 === 0 ? 80 : 0;
      data[i] = Math.max(0, Math.min(255, (255 * x) / width + noise() / 10 + stripe));
      data[i + 1] = Math.max(0, Math.min(255, (255 * y) / height + noise() / 10 + stripe));
      data[i + 2] = Math.max(0, Math.min(255, 128 + 100 * Math.sin((x + 2 * y) / 9) + noise() / 10));
    }
  }
  await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toFile(path);
}

async function ours(path: string): Promise<void> {
  await preprocess(await decodeImage(path), OPS);
}

async function allSharp(path: string, width: number, height: number): Promise<void> {
  const [rh, rw] = resizedOutputSize(height, width, 256);
  const top = roundHalfEven((rh - 224) / 2);
  const left = roundHalfEven((rw - 224) / 2);
  const data = await sharp(path).removeAlpha().resize(rw, rh, { fit: 'fill', kernel: 'linear' }).extract({ left, top, width: 224, height: 224 }).raw().toBuffer();
  normalize(toTensor({ width: 224, height: 224, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }), MEAN, STD);
}

/** Median ms over `iterations` runs after 3 warm-up runs. */
async function time(fn: () => Promise<unknown>, iterations: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[ms.length >> 1];
}

const PYTHON = '/usr/bin/python3';

interface Figures {
  total: number;
  decode: number;
  resizeCrop: number;
  tensor: number;
  load: number;
}

/** bench/preprocess_pil.py on one image; undefined (with the reason printed) when the reference libs are missing. */
function pilFigures(path: string, iterations: number): Figures | undefined {
  if (!existsSync(PYTHON)) return undefined;
  try {
    const out = execFileSync(PYTHON, [join(import.meta.dirname, 'preprocess_pil.py'), String(iterations), path], { encoding: 'utf8' });
    return JSON.parse(out.trim()) as Figures;
  } catch (error) {
    console.log(`PIL + torchvision side not measured: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--iterations');
  const iterations = flag > 0 ? Number(process.argv[flag + 1]) : 30;
  const dir = mkdtempSync(join(tmpdir(), 'semibench-bench-'));
  console.log(`preprocess bench: decode+Resize(256)+CenterCrop(224)+ToTensor+Normalize, median ms of ${iterations} runs, ` +
    `${availableParallelism()} cores, sharp concurrency ${sharp.concurrency()}, node ${process.version}`);
  console.log('PIL/ours > 1: ours is faster. load = 1-minute load average while each side ran.');
  console.log('image          | stage       | ours ms | PIL+tv ms | PIL/ours | load ours / PIL');
  const fmt = (ms: number | undefined): string => (ms === undefined ? 'n/a' : ms.toFixed(2));
  try {
    for (const [w, h] of SIZES) {
      const path = join(dir, `img_${w}x${h}.jpg`);
      await writeJpeg(path, w, h);
      const img = await decodeImage(path);
      const cropped = tvResizeCenterCrop(img, 256, 224);
      const ourFigures: Figures = {
        total: await time(() => ours(path), iterations),
        decode: await time(() => decodeImage(path), iterations),
        resizeCrop: await time(async () => tvResizeCenterCrop(img, 256, 224), iterations),
        tensor: await time(async () => toNormalizedTensor(cropped, MEAN, STD), iterations),
        load: loadavg()[0],
      };
      const tSharp = await time(() => allSharp(path, w, h), iterations);
      const pil = pilFigures(path, iterations);
      const stages: [keyof Figures, string][] = [['total', 'total'], ['decode', 'decode'], ['resizeCrop', 'resize+crop'], ['tensor', 'tensor']];
      for (const [key, label] of stages) {
        console.log([
          (key === 'total' ? `${w}x${h} JPEG` : '').padEnd(14),
          label.padEnd(11),
          fmt(ourFigures[key]).padStart(7),
          fmt(pil?.[key]).padStart(9),
          (pil ? `${(pil[key] / ourFigures[key]).toFixed(2)}x` : 'n/a').padStart(8),
          `${ourFigures.load.toFixed(1)} / ${pil ? pil.load.toFixed(1) : 'n/a'}`,
        ].join(' | '));
      }
      console.log(`${''.padEnd(14)} | all-sharp   | ${fmt(tSharp).padStart(7)} | (libvips resize, not bit-exact: ${(tSharp / ourFigures.total).toFixed(2)}x ours)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
