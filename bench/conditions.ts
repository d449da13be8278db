/**
 * Stress-condition overhead: ms per image each condition adds after decode (src/conditions), on the bundled
 * eval set's images (decoded once; the condition runs on the decoded pixels, as in `semibench run`).
 *
 *   npx tsx bench/conditions.ts [--iterations N]
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { applyCondition, parseCondition } from '../src/conditions/index.js';
import { decodeImage } from '../src/image/decode.js';
import { sha256 } from '../src/detectors/adapter.js';
import type { RgbImage } from '../src/image/types.js';
import { openDataSource, readSampleFile } from '../src/loaders/index.js';

const CONDITIONS = ['format:png', 'jpeg:95', 'jpeg:75', 'jpeg:50', 'webp:80', 'blur:1', 'blur:3', 'resize:0.5', 'resize:0.5:bilinear', 'crop:0.8', 'noise:0.02', 'social'];
const at = process.argv.indexOf('--iterations');
const iterations = at > 0 ? Number(process.argv[at + 1]) : 1;

const images: { img: RgbImage; key: string }[] = [];
let decodeMs = 0;
for await (const sample of openDataSource('fixtures/evalset').samples()) {
  if (images.length === 16) break;
  const bytes = await readSampleFile(sample);
  const t = performance.now();
  const img = await decodeImage(bytes);
  decodeMs += performance.now() - t;
  images.push({ img, key: sha256(bytes).slice(0, 16) });
}
const megapixels = images.reduce((a, { img }) => a + img.width * img.height, 0) / images.length / 1e6;
console.log(`${images.length} images, mean ${megapixels.toFixed(2)} MP; decode ${(decodeMs / images.length).toFixed(1)} ms/image; ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}`);
for (const spec of CONDITIONS) {
  const condition = parseCondition(spec);
  const t = performance.now();
  for (let i = 0; i < iterations; i++) for (const { img, key } of images) await applyCondition(img, condition, key);
  const ms = (performance.now() - t) / (iterations * images.length);
  console.log(`${condition.name.padEnd(32)} ${ms.toFixed(1).padStart(7)} ms/image`);
}
