/**
 * Writes a tiny source set for `semibench generate` in the authors' data/input layout (metadata.csv,
 * images/{dataset}/, masks/{dataset}/), made only from procedural images. Deterministic. The end-to-end test and
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
import { Canvas, ellipse, rect } from './fixtures/draw.js';

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
  const SIZE = size;
  const scale = size / 96; // shapes scale with the image
  const rows: string[][] = [];
  for (const [d, ds] of DATASETS.entries()) {
    for (let i = 0; i < imagesPerDataset; i++) {
      const imageId = ds.id(i);
      const r = uniform(7000 + 100 * d + i);
      const canvas = new Canvas(SIZE, SIZE).gradient([120, 170, 230], [90, 120, 80]);
      canvas.fill(rect(0, 60 * scale, SIZE, SIZE), [70, 130, 60], 10, 4);
      const imagePath = `images/${ds.name}/${imageId}.${ds.ext}`;
      const names = [OBJECTS[(2 * i + d) % OBJECTS.length], OBJECTS[(2 * i + d + 1) % OBJECTS.length]];
      const masks = names.map((name, k) => {
        const rx = scale * (10 + r() * 12);
        const ry = scale * (8 + r() * 12);
        const shape = ellipse(rx + r() * (SIZE - 2 * rx), ry + r() * (SIZE - 2 * ry), rx, ry);
        canvas.fill(shape, [40 + r() * 180, 40 + r() * 180, 40 + r() * 180], 6, 3);
        const pixels = new Uint8Array(SIZE * SIZE);
        for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) pixels[y * SIZE + x] = shape(x, y) ? 255 : 0;
        const ratio = pixels.reduce((n, v) => n + (v ? 1 : 0), 0) / pixels.length;
        return { name, k, pixels, ratio };
      });
      await save(join(out, imagePath), canvas.toUint8(), 3, ds.ext, SIZE);
      const entities = `[${names.map((n) => `'${n}'`).join(', ')}]`;
      for (const m of masks) {
        const maskId = `instance_${String(m.k).padStart(3, '0')}_${imageId}`;
        const maskPath = `masks/${ds.name}/${maskId}.png`;
        await save(join(out, maskPath), m.pixels, 1, 'png', SIZE);
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
