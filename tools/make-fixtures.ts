/**
 * Builds fixtures/evalset: a small eval set in the Semi-Truths Evalset layout, made only from procedural
 * images (no photos) and simple local edits. Deterministic: rerunning gives the same files.
 *
 *   npx tsx tools/make-fixtures.ts [OUT_DIR]      (default fixtures/evalset)
 *
 * 4 source datasets x 4 real images; each real gets 2 inpainting edits (3 simulated editing models, one
 * mask each, area ratios spread from 1% to 45%) and 1 prompt-based (p2p) edit (2 simulated models).
 * Semantic magnitudes cycle small / medium / large. The "editing models" are procedures that leave
 * generator-like traces (2x upsampling), so the weight-free detectors have something real to find.
 * Last, `semibench measure` fills the change-metric columns (post_edit_ratio, ssim, ...) and their bins.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import sharp from 'sharp';
import { uniform } from '../src/util/random.js';
import { Canvas, ellipse, rect, upsampled2x } from './fixtures/draw.js';

const SIZE = 256;
const OUT = process.argv[2] ?? 'fixtures/evalset';

const DATASETS = [
  { name: 'ADE20K', ext: 'jpg', id: (i: number) => `ADE_train_${String(i + 1).padStart(8, '0')}`, scene: 'outdoor' },
  { name: 'CelebAHQ', ext: 'jpg', id: (i: number) => `CelebA_${String(20040 + i).padStart(5, '0')}`, scene: 'face' },
  { name: 'CityScapes', ext: 'png', id: (i: number) => `aachen_${String(i).padStart(6, '0')}_000019_leftImg8bit`, scene: 'street' },
  { name: 'OpenImages', ext: 'jpg', id: (i: number) => `oi_${(0x3a5f00 + i * 7919).toString(16)}`, scene: 'objects' },
] as const;
const INPAINT_MODELS = ['StableDiffusion_XL', 'Kandinsky_2_2', 'StableDiffusion_v5'] as const;
const P2P_MODELS = ['OpenJourney', 'StableDiffusion_v4'] as const;
const MAGNITUDES = ['small', 'medium', 'large'] as const;
const AREAS = [0.01, 0.03, 0.06, 0.1, 0.15, 0.22, 0.3, 0.45];
const ENTITIES = ['sky', 'tree', 'person', 'car', 'road', 'wall', 'grass', 'table'];
const TARGETS: Record<string, string[]> = {
  small: ['a slightly darker tree', 'a red car'],
  medium: ['a wooden bench', 'a bicycle'],
  large: ['a giant robot', 'a waterfall'],
};

const COLUMNS = [
  'image_id', 'image_path', 'dataset', 'entities', 'class', 'label', 'mask_id', 'mask_path', 'mask_name', 'ratio',
  'method', 'model', 'perturbed_mask_name', 'sem_magnitude', 'language_model',
] as const;
type Row = Record<(typeof COLUMNS)[number], string>;

function scene(kind: string, seed: number): Uint8Array {
  const r = uniform(seed);
  const c = () => [40 + r() * 180, 40 + r() * 180, 40 + r() * 180];
  const canvas = new Canvas(SIZE, SIZE);
  if (kind === 'outdoor') {
    canvas.gradient([120, 170, 230], [200, 220, 240]).fill(rect(0, 150 + r() * 40, SIZE, SIZE), [70, 130, 60], 12, 5);
    for (let k = 0; k < 4; k++) canvas.fill(rect(r() * 200, 90 + r() * 40, 40 + r() * 220, 200), c(), 6, 4);
  } else if (kind === 'face') {
    canvas.gradient(c(), c()).fill(ellipse(128, 130, 70 + r() * 10, 90), [220, 180, 150], 4, 15);
    canvas.fill(ellipse(100, 110, 10, 6), [40, 40, 50]).fill(ellipse(156, 110, 10, 6), [40, 40, 50]).fill(ellipse(128, 175, 25, 8), [170, 80, 80]);
  } else if (kind === 'street') {
    canvas.gradient([150, 180, 210], [90, 90, 95]).fill(rect(0, 140, SIZE, SIZE), [80, 80, 85], 5, 3);
    for (let k = 0; k < 3; k++) canvas.fill(rect(20 + r() * 180, 150 + r() * 40, 60 + r() * 190, 220), c(), 3, 7);
  } else {
    canvas.gradient(c(), c());
    for (let k = 0; k < 6; k++) canvas.fill(ellipse(r() * SIZE, r() * SIZE, 15 + r() * 50, 15 + r() * 50), c(), 10, 3 + r() * 8);
  }
  return canvas.noise(2, seed ^ 0x9e3779b9).toUint8();
}

/** A rectangle-ish ellipse mask covering about `area` of the image, at a seeded position. */
function makeMask(area: number, seed: number): Uint8Array {
  const r = uniform(seed);
  const aspect = 0.6 + r() * 0.8;
  const ry = Math.sqrt((area * SIZE * SIZE) / (Math.PI * aspect));
  const rx = ry * aspect;
  const cx = rx + r() * Math.max(1, SIZE - 2 * rx);
  const cy = ry + r() * Math.max(1, SIZE - 2 * ry);
  const inside = ellipse(cx, cy, rx, ry);
  const mask = new Uint8Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) mask[y * SIZE + x] = inside(x, y) ? 255 : 0;
  return mask;
}

/** Inpainting: the masked region is replaced by new content that went through a simulated 2x decoder. */
function inpaint(real: Uint8Array, mask: Uint8Array, model: string, seed: number): Uint8Array {
  const generated = upsampled2x(scene('objects', seed), SIZE, SIZE, model === 'StableDiffusion_XL' ? 'nearest' : 'linear');
  const out = Uint8Array.from(real);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = model === 'StableDiffusion_v5' ? (generated[i * 3 + c] + real[i * 3 + c]) >> 1 : generated[i * 3 + c];
  }
  return out;
}

/** Prompt-based editing: the whole image is re-rendered through a simulated 2x decoder, with a colour shift. */
function promptEdit(real: Uint8Array, model: string, magnitude: string): Uint8Array {
  const shift = { small: 6, medium: 18, large: 40 }[magnitude]!;
  const tinted = real.map((v, i) => Math.max(0, Math.min(255, v + (i % 3 === 0 ? shift : -shift / 2))));
  return upsampled2x(tinted, SIZE, SIZE, model === 'OpenJourney' ? 'nearest' : 'linear');
}

async function save(path: string, pixels: Uint8Array, channels: 1 | 3, format: 'png' | 'jpg'): Promise<void> {
  mkdirSync(dirname(join(OUT, path)), { recursive: true });
  const image = sharp(Buffer.from(pixels), { raw: { width: SIZE, height: SIZE, channels } });
  const encoded = format === 'png' ? image.png({ compressionLevel: 9 }) : image.jpeg({ quality: 90 });
  await encoded.toFile(join(OUT, path));
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  const rows: Row[] = [];
  let edit = 0;
  let inpainted = 0;
  let prompted = 0;
  for (const [d, ds] of DATASETS.entries()) {
    for (let i = 0; i < 4; i++) {
      const imageId = ds.id(i);
      const seed = 1000 * (d + 1) + i;
      const real = scene(ds.scene, seed);
      const realPath = `original/images/${ds.name}/${imageId}.${ds.ext}`;
      await save(realPath, real, 3, ds.ext);
      // 2 to 7 entities, so scene diversity has a spread.
      const entities = `[${ENTITIES.slice(0, 2 + ((i * 3 + d) % 6)).map((e) => `'${e}'`).join(', ')}]`;
      const base = { image_id: imageId, dataset: ds.name, entities, class: `['${ENTITIES[i]}']` };
      rows.push({ ...base, image_path: realPath, label: 'real', mask_id: '', mask_path: '', mask_name: '', ratio: '', method: '', model: '', perturbed_mask_name: '', sem_magnitude: '', language_model: '' });

      for (let k = 0; k < 3; k++, edit++) {
        // Shifted every 3 edits so magnitude is not confounded with method.
        const magnitude = MAGNITUDES[(edit + Math.floor(edit / 3)) % 3];
        const target = TARGETS[magnitude][edit % 2];
        if (k < 2) {
          const model = INPAINT_MODELS[inpainted % INPAINT_MODELS.length];
          const maskId = `instance_${String(k).padStart(3, '0')}_${imageId}`;
          const mask = makeMask(AREAS[inpainted++ % AREAS.length], seed * 7 + k);
          const maskPath = `original/masks/${ds.name}/${maskId}.png`;
          await save(maskPath, mask, 1, 'png');
          const ratio = mask.reduce((n, v) => n + (v ? 1 : 0), 0) / (SIZE * SIZE);
          const path = `inpainting/${ds.name}/${maskId}_${ds.name}_${model}.png`;
          await save(path, inpaint(real, mask, model, seed * 13 + k), 3, 'png');
          rows.push({ ...base, image_path: path, label: 'fake', mask_id: maskId, mask_path: maskPath, mask_name: ENTITIES[(i + k) % ENTITIES.length], ratio: String(ratio), method: 'inpainting', model, perturbed_mask_name: target, sem_magnitude: magnitude, language_model: 'LlaVA-Mistral' });
        } else {
          const model = P2P_MODELS[prompted++ % P2P_MODELS.length];
          const path = `p2p/${ds.name}/${imageId}_${ds.name}_${model}.png`;
          await save(path, promptEdit(real, model, magnitude), 3, 'png');
          rows.push({ ...base, image_path: path, label: 'fake', mask_id: '', mask_path: '', mask_name: '', ratio: '', method: 'p2p', model, perturbed_mask_name: target, sem_magnitude: magnitude, language_model: 'LlaVA-Hermes' });
        }
      }
    }
  }
  writeFileSync(join(OUT, 'metadata.csv'), stringify(rows, { header: true, columns: [...COLUMNS] }));
  console.log(`wrote ${rows.length} rows to ${join(OUT, 'metadata.csv')}`);
  // Fill the change-metric, scene and bin columns the way users do, so the default slices can use them.
  // Learned metrics need model files that are not in the repository: their columns stay empty.
  execFileSync(process.execPath, ['bin/semibench.js', 'measure', '--data', OUT, '--no-learned', '--no-brisque'], { stdio: 'inherit' });
  // Resume bookkeeping and the (machine-specific) run summary are not part of the eval set.
  for (const file of ['metadata.orig.csv', '.semibench-measure.csv', 'measure.json']) rmSync(join(OUT, file), { force: true });
}

await main();
