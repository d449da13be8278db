/**
 * Throughput of `semibench generate`'s offline stages on a procedural source set, and of the label stage against
 * a local OpenAI-compatible stub (network + JSON + verify, no model), with the process's peak memory.
 *
 *   npx tsx bench/generate.ts [--images 10] [--size 256] [--concurrency 2]
 *
 * --images photos per dataset (2 datasets, 2 masks each: 4 × images masks). Prints items/s per stage and for the
 * whole pipeline (perturb + inpaint + assemble + measure, pixel metrics only).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLabelBackend } from '../src/generation/generate/backends.js';
import { ClassicalBackend, TELEA_MODEL } from '../src/generation/generate/inpaint/classical.js';
import { authorsMaskPreparer } from '../src/generation/generate/inpaint-stage.js';
import { loadMasks, generate } from '../src/generation/generate/pipeline.js';
import { perturbStage, type PerturbEntry } from '../src/generation/generate/perturb-stage.js';
import { loadPrompts } from '../src/generation/generate/perturb/prompts.js';
import { JsonlLog } from '../src/generation/generate/state.js';
import { startOpenAiStub } from '../tests/generation/generate/openai-stub.js';
import { makeSourceSet } from '../tools/make-source-set.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const images = arg('images', 10);
const size = arg('size', 256);
const concurrency = arg('concurrency', 2);

const dir = mkdtempSync(join(tmpdir(), 'semibench-bench-generate-'));
try {
  const src = join(dir, 'src');
  await makeSourceSet(src, images, size);
  const prompts = loadPrompts();
  const noModels = join(dir, 'none');
  mkdirSync(noModels);

  const started = performance.now();
  const result = await generate({
    input: src, out: join(dir, 'gen'), labels: createLabelBackend('offline', undefined, prompts), inpainter: new ClassicalBackend(),
    models: [TELEA_MODEL], prepareMask: authorsMaskPreparer, prompts, seed: 1, concurrency, metricsDir: noModels, noLearned: true,
  });
  const wall = (performance.now() - started) / 1000;
  const masks = result.source.used;
  console.log(`source: ${masks} masks on ${result.assemble!.real} photos of ${size}x${size}; concurrency ${concurrency}`);
  const rate = (n: number, ms: number | undefined) => `${(n / ((ms ?? NaN) / 1000)).toFixed(1)} items/s (${n} in ${((ms ?? NaN) / 1000).toFixed(2)} s)`;
  console.log(`perturb  (offline WordNet):          ${rate(masks, result.timingsMs.perturb)}`);
  console.log(`inpaint  (mask prep + classical):    ${rate(result.inpaint!.items, result.timingsMs.inpaint)}`);
  console.log(`assemble:                            ${rate(result.assemble!.fake, result.timingsMs.assemble)}`);
  console.log(`measure  (pixel metrics):            ${rate(result.measure!.pairs, result.timingsMs.measure)}`);
  console.log(`whole pipeline:                      ${(masks / wall).toFixed(2)} masks/s (${wall.toFixed(1)} s)`);

  // The label stage against a local OpenAI-compatible stub: HTTP, base64 photo, JSON, verify.
  const { masks: sourceMasks } = await loadMasks(src);
  const labels = [...new Set(sourceMasks.map((m) => m.maskName))];
  const stub = await startOpenAiStub({ model: 'stub', labels, script: Object.fromEntries(labels.map((l) => [l, [`red ${l}`]])) });
  try {
    const log = new JsonlLog<PerturbEntry>(join(dir, 'stub', 'perturb.jsonl'));
    const t0 = performance.now();
    await perturbStage({ masks: sourceMasks, backend: createLabelBackend(stub.url, 'stub', prompts), log, seed: 1, concurrency: 8 });
    log.close();
    console.log(`perturb  (OpenAI stub, 8 in flight): ${rate(sourceMasks.length, performance.now() - t0)}`);
  } finally {
    await stub.close();
  }
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
