/**
 * Stress-condition overhead: ms per image each condition adds after decode (src/conditions), on the bundled
 * eval set's images (decoded once; the condition runs on the decoded pixels, as in `semibench run`).
 *
 *   npx tsx bench/conditions.ts [--iterations N]
 *
 * Then whole runs (see below): what a condition adds to `semibench run`.
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

// Whole runs: the built-in detectors over the bundled eval set, clean only vs the clean run plus each set of
// conditions (a fresh folder each time). (wall − clean wall) / conditions is what one condition costs in a run:
// its inference and its op, plus a decode per image if the runner decoded once per condition.
const RUN_CONDITIONS = [['format:png'], ['format:png', 'jpeg:75', 'blur:1', 'resize:0.5']];
const { mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { DEFAULTS } = await import('../src/config/index.js');
const { runDetectors } = await import('../src/runner/run.js');
const runWall = async (conditions: string[]) => {
  const dir = mkdtempSync(join(tmpdir(), 'semibench-bench-'));
  try {
    const config = { ...DEFAULTS, data: 'fixtures/evalset', out: join(dir, 'run'), detectors: ['npr-residual', 'spectral-hf'], modelsDir: join(dir, 'models'), manifestsDir: join(dir, 'manifests'), conditions };
    let best = Infinity;
    for (let i = 0; i < iterations; i++) {
      rmSync(config.out, { recursive: true, force: true });
      const t = performance.now();
      await runDetectors(config);
      best = Math.min(best, performance.now() - t);
    }
    return best;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
const clean = await runWall([]);
console.log(`\nsemibench run, 2 built-in detectors, ${images.length > 0 ? 64 : 0} images (best of ${iterations}; load ${loadavg()[0].toFixed(1)}):`);
console.log(`${'clean only'.padEnd(40)} ${clean.toFixed(0).padStart(7)} ms`);
for (const conditions of RUN_CONDITIONS) {
  const wall = await runWall(conditions);
  const label = `+ ${conditions.join(', ')}`;
  console.log(`${label.padEnd(40)} ${wall.toFixed(0).padStart(7)} ms  (${((wall - clean) / conditions.length).toFixed(0)} ms per condition, ${((wall - clean) / conditions.length / 128).toFixed(2)} ms per image and detector)`);
}
