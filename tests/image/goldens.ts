/** Reads the committed Pillow/torchvision goldens written by tools/parity/make_image_goldens.py. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeImage } from '../../src/image/decode.js';
import type { PreprocessOp } from '../../src/image/ops.js';
import { applyImageOps, preprocess } from '../../src/image/pipeline.js';
import type { Chw, RgbImage } from '../../src/image/types.js';

/** `SEMIBENCH_IMAGE_GOLDENS` points the tests at freshly generated goldens (tools/parity/live.sh). */
export const GOLDENS_DIR = resolve(process.env.SEMIBENCH_IMAGE_GOLDENS ?? 'tests/goldens/image');

export interface GoldenCase {
  id: string;
  input: string;
  ops: PreprocessOp[];
  applyExifOrientation?: boolean;
  expected: { file: string; dtype: 'u8' | 'f32'; shape: number[] };
}

export interface GoldenManifest {
  versions: Record<string, string>;
  inputs: Record<string, string>;
  cases: GoldenCase[];
}

export const manifest: GoldenManifest = JSON.parse(readFileSync(join(GOLDENS_DIR, 'manifest.json'), 'utf8'));

export function goldenCase(id: string): GoldenCase {
  const found = manifest.cases.find((c) => c.id === id);
  if (!found) throw new Error(`no golden case '${id}'`);
  return found;
}

export function inputPath(name: string): string {
  return join(GOLDENS_DIR, 'inputs', manifest.inputs[name]);
}

export function readExpected(c: GoldenCase): Uint8Array | Float32Array {
  const bytes = gunzipSync(readFileSync(join(GOLDENS_DIR, c.expected.file)));
  if (c.expected.dtype === 'u8') return new Uint8Array(bytes);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

/** The expected uint8 image of a case ([h, w, 3] shape). */
export function expectedImage(c: GoldenCase): RgbImage {
  const [height, width] = c.expected.shape;
  return { width, height, data: readExpected(c) as Uint8Array };
}

/** Runs a case through src/image: decode, then the ops (ending in a tensor when the golden is float). */
export async function runCase(c: GoldenCase): Promise<RgbImage | Chw> {
  const img = await decodeImage(inputPath(c.input), { applyExifOrientation: c.applyExifOrientation });
  return c.expected.dtype === 'f32' ? preprocess(img, c.ops) : applyImageOps(img, c.ops);
}

/** Count of differing values and the largest absolute difference. */
export function diff(a: ArrayLike<number>, b: ArrayLike<number>): { count: number; max: number } {
  if (a.length !== b.length) return { count: Math.max(a.length, b.length), max: Infinity };
  let count = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d !== 0) count++;
    if (d > max) max = d;
  }
  return { count, max };
}
