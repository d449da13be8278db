/**
 * Writes a tiny source set for `semibench generate` in the authors' data/input layout (metadata.csv,
 * images/{dataset}/, masks/{dataset}/), made only from procedural images drawn with a photo's statistics, so the
 * QC gate's BRISQUE rule judges them as photos (BRISQUE ~27-45, not the 83-97 of flat fills). Deterministic. The end-to-end test and
 * bench/generate.ts build it at run time; fixtures/source is its committed output (npm run fixtures:source):
 *
 *   npx tsx tools/make-source-set.ts OUT_DIR [IMAGES_PER_DATASET] [SIZE]
 *
 * Two rows are the kind the authors' filter_labels drops (mask_name NA, ratio 1000.0), so skips are exercised.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import sharp from 'sharp';
import { uniform } from '../src/util/random.js';
import { fractalNoise, gaussian, softEllipse } from './fixtures/natural.js';

const DATASETS = [
  { name: 'ADE20K', ext: 'jpg', id: (i: number) => `ADE_train_${String(i + 1).padStart(8, '0')}` },
  { name: 'OpenImages', ext: 'png', id: (i: number) => `oi_${(0x3a5f00 + i * 7919).toString(16)}` },
] as const;
const OBJECTS = ['car', 'tree', 'dog', 'chair', 'bicycle', 'lamp'];
const COLUMNS = ['image_id', 'image_path', 'dataset', 'entities', 'class', 'mask_id', 'mask_path', 'mask_name', 'ratio'];

export interface SourceSetInfo {
  /** Rows in metadata.csv. */
  rows: number;
  /** Rows the generator should use (the rest are the two filter_labels rows). */
  usable: number;
}

export async function makeSourceSet(out: string, imagesPerDataset = 2, size = 96): Promise<SourceSetInfo> {
  const rows: string[][] = [];
  for (const [d, ds] of DATASETS.entries()) {
    for (let i = 0; i < imagesPerDataset; i++) {
      const imageId = ds.id(i);
      const seed = 7000 + 100 * d + i;
      const r = uniform(seed);
      const imagePath = `images/${ds.name}/${imageId}.${ds.ext}`;
      const names = [OBJECTS[(2 * i + d) % OBJECTS.length], OBJECTS[(2 * i + d + 1) % OBJECTS.length]];
      const scene = new Scene(size, seed);
      const masks = names.map((name, k) => {
        const rx = (size / 96) * (10 + r() * 12);
        const ry = (size / 96) * (8 + r() * 12);
        const cover = scene.object(rx + r() * (size - 2 * rx), ry + r() * (size - 2 * ry), rx, ry, [40 + r() * 180, 40 + r() * 180, 40 + r() * 180], seed * 10 + k);
        const pixels = new Uint8Array(size * size);
        for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[y * size + x] = cover(x, y) >= 0.5 ? 255 : 0;
        const ratio = pixels.reduce((n, v) => n + (v ? 1 : 0), 0) / pixels.length;
        return { name, k, pixels, ratio };
      });
      await save(join(out, imagePath), scene.finish(), 3, ds.ext, size);
      const entities = `[${names.map((n) => `'${n}'`).join(', ')}]`;
      for (const m of masks) {
        const maskId = `instance_${String(m.k).padStart(3, '0')}_${imageId}`;
        const maskPath = `masks/${ds.name}/${maskId}.png`;
        await save(join(out, maskPath), m.pixels, 1, 'png', size);
        rows.push([imageId, imagePath, ds.name, entities, `['${names[0]}']`, maskId, maskPath, m.name, String(m.ratio)]);
      }
    }
  }
  const first = rows[0];
  // The two kinds of rows the authors' filter_labels drops.
  rows.push([first[0], first[1], first[2], first[3], first[4], `${first[0]}_na`, first[6], 'NA', '0.01']);
  rows.push([first[0], first[1], first[2], first[3], first[4], `${first[0]}_whole`, first[6], 'sky', '1000.0']);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'metadata.csv'), stringify(rows, { header: true, columns: COLUMNS }));
  return { rows: rows.length, usable: rows.length - 2 };
}

/**
 * An outdoor picture with a photo's statistics (see tools/fixtures/natural.ts): a sky with soft clouds over
 * textured ground, lit unevenly, objects with textured, shaded fills, soft edges and a shadow, then sensor noise.
 */
class Scene {
  private readonly rgb: Float32Array;
  private readonly r: () => number;
  /** Where the light comes from (unit vector), for the objects' shading and shadows. */
  private readonly light: [number, number];

  constructor(
    private readonly size: number,
    private readonly seed: number,
  ) {
    this.r = uniform(seed + 1);
    const r = this.r;
    const n = size * size;
    this.rgb = new Float32Array(n * 3);
    const angle = r() * 2 * Math.PI;
    this.light = [Math.cos(angle), Math.sin(angle)];
    const clouds = fractalNoise(size, size, seed + 2, size / 2, 5);
    const ground = fractalNoise(size, size, seed + 3, size / 4, 7);
    const horizonLine = fractalNoise(size, 1, seed + 4, size / 3, 4);
    const sky = [110 + r() * 40, 150 + r() * 30, 200 + r() * 40];
    const soil = [60 + r() * 60, 90 + r() * 50, 40 + r() * 40];
    const horizon = size * (0.5 + r() * 0.15);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        const edge = horizon + 3 * horizonLine[x] - y; // > 0 above the horizon
        const skyShare = Math.max(0, Math.min(1, 0.5 + edge / 1.5));
        const haze = y / horizon; // the sky is paler towards the horizon
        const depth = Math.max(0, (y - horizon) / (size - horizon)); // the ground darkens towards the viewer
        for (let c = 0; c < 3; c++) {
          const up = sky[c] * (1 + 0.12 * clouds[i]) + 35 * Math.min(1, haze) ** 2 + 12 * Math.max(0, clouds[i]);
          const down = soil[c] * (1 + 0.22 * ground[i]) * (1.1 - 0.3 * depth);
          this.rgb[i * 3 + c] = skyShare * up + (1 - skyShare) * down;
        }
      }
    }
  }

  /** Paints an object (its shadow first) and returns how much of each pixel it covers. */
  object(cx: number, cy: number, rx: number, ry: number, colour: number[], seed: number): (x: number, y: number) => number {
    const { size, light } = this;
    const texture = fractalNoise(size, size, seed, Math.max(rx, ry), 6);
    const outline = fractalNoise(size, size, seed + 1, Math.max(rx, ry) / 2, 3);
    const cover = softEllipse(cx, cy, rx, ry, 1.6, (x, y) => 0.06 * outline[y * size + x]);
    const shadow = softEllipse(cx - 0.25 * rx * light[0], cy + 0.35 * ry, rx * 1.05, ry * 0.6, 5);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        const dark = 1 - 0.35 * shadow(x, y);
        const a = cover(x, y);
        // lit on the side facing the light, with a texture of its own
        const shade = 1 + 0.25 * (((x - cx) / rx) * -light[0] + ((y - cy) / ry) * -light[1]);
        const grain = 1 + 0.18 * texture[i];
        for (let c = 0; c < 3; c++) {
          const under = this.rgb[i * 3 + c] * dark;
          this.rgb[i * 3 + c] = (1 - a) * under + a * colour[c] * shade * grain;
        }
      }
    }
    return cover;
  }

  /** Uneven light over the whole picture, then sensor noise (mostly in brightness), as 8-bit RGB. */
  finish(): Uint8Array {
    const { size, light } = this;
    const noise = gaussian(this.seed + 5);
    const out = new Uint8Array(this.rgb.length);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        const lit = 1 + 0.12 * ((x / size - 0.5) * light[0] + (y / size - 0.5) * light[1]);
        const luma = 2 * noise();
        for (let c = 0; c < 3; c++) {
          const v = this.rgb[i * 3 + c] * lit + luma + 0.8 * noise();
          out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    return out;
  }
}

async function save(path: string, pixels: Uint8Array, channels: 1 | 3, format: 'png' | 'jpg', size: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  // masks are single-channel (mode L), like the authors' PNG masks
  const raw = sharp(Buffer.from(pixels), { raw: { width: size, height: size, channels } });
  const image = channels === 1 ? raw.toColourspace('b-w') : raw;
  await (format === 'png' ? image.png({ compressionLevel: 9 }) : image.jpeg({ quality: 90 })).toFile(path);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: npx tsx tools/make-source-set.ts OUT_DIR [IMAGES_PER_DATASET]');
  const info = await makeSourceSet(out, Number(process.argv[3] ?? 2), Number(process.argv[4] ?? 96));
  console.log(`${out}: ${info.rows} rows (${info.usable} usable)`);
}
