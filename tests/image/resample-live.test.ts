// The WebAssembly SIMD resampler against live Pillow (Debian's python3-pil) on random noise images, including
// camera-sized ones and cropped windows, beyond the committed goldens' sizes. Skipped with the reason when Pillow
// is missing (fails under CI=true).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resampleConvolution, type ConvolutionFilter, type OutputRegion } from '../../src/image/resample.js';
import type { RgbImage } from '../../src/image/types.js';
import { skipWithoutReference, tempDir } from '../helpers.js';

const PYTHON = process.env.SEMIBENCH_PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import PIL.Image'], { encoding: 'utf8' });
const missing = probe.status === 0 ? undefined : `${PYTHON} cannot import PIL: ${(probe.stderr || String(probe.error)).trim().split('\n').at(-1)}`;

// Reads the cases, resizes each raw RGB input with Image.resize, crops, writes the raw result.
const PILLOW = `
import json, sys
from PIL import Image
for c in json.load(open(sys.argv[1])):
    img = Image.frombytes('RGB', (c['w'], c['h']), open(c['input'], 'rb').read())
    out = img.resize((c['W'], c['H']), getattr(Image.Resampling, c['filter'].upper()))
    r = c['region']
    open(c['output'], 'wb').write(out.crop((r['left'], r['top'], r['left'] + r['width'], r['top'] + r['height'])).tobytes())
`;

interface Case {
  img: RgbImage;
  W: number;
  H: number;
  filter: ConvolutionFilter;
  region: OutputRegion;
}

const FILTERS: ConvolutionFilter[] = ['box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

function cases(): Case[] {
  let seed = 2024;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const noise = (width: number, height: number): RgbImage => ({ width, height, data: new Uint8Array(width * height * 3).map(() => (rand(5) === 0 ? 255 * rand(2) : rand(256))) });
  const full = (W: number, H: number): OutputRegion => ({ left: 0, top: 0, width: W, height: H });
  const out: Case[] = [
    { img: noise(2000, 1500), W: 341, H: 256, filter: 'bilinear', region: { left: 58, top: 16, width: 224, height: 224 } },
    { img: noise(1500, 2000), W: 256, H: 341, filter: 'bicubic', region: full(256, 341) },
    { img: noise(512, 512), W: 256, H: 256, filter: 'lanczos', region: full(256, 256) },
    { img: noise(333, 201), W: 1001, H: 603, filter: 'bicubic', region: { left: 1, top: 5, width: 997, height: 591 } },
  ];
  for (let i = 0; i < 40; i++) {
    const img = noise(1 + rand(90), 1 + rand(90));
    const W = rand(4) === 0 ? img.width : 1 + rand(150);
    const H = rand(4) === 0 && W !== img.width ? img.height : 1 + rand(150);
    const width = 1 + rand(W);
    const height = 1 + rand(H);
    out.push({ img, W, H, filter: FILTERS[i % FILTERS.length], region: { left: rand(W - width + 1), top: rand(H - height + 1), width, height } });
  }
  return out;
}

describe.skipIf(skipWithoutReference('resample-live', missing))('resampleConvolution vs live Pillow', () => {
  it('gives Image.resize(...).crop(...) bytes for every filter, up and down, camera-sized and tiny', () => {
    const dir = tempDir();
    const all = cases();
    const spec = all.map((c, i) => {
      writeFileSync(join(dir, `${i}.in`), c.img.data);
      return { input: join(dir, `${i}.in`), output: join(dir, `${i}.out`), w: c.img.width, h: c.img.height, W: c.W, H: c.H, filter: c.filter, region: c.region };
    });
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(spec));
    const run = spawnSync(PYTHON, ['-c', PILLOW, join(dir, 'cases.json')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const differing = all.filter((c, i) => {
      const ours = resampleConvolution(c.img, c.W, c.H, c.filter, c.region).data;
      return !Buffer.from(ours).equals(readFileSync(spec[i].output));
    }).map((c) => `${c.img.width}x${c.img.height} -> ${c.W}x${c.H} ${c.filter} ${JSON.stringify(c.region)}`);
    expect(differing).toEqual([]);
  });
});
