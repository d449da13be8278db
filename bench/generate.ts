/**
 * Throughput of `semibench generate`'s offline stages on a procedural source set, and of the whole pipeline against
 * local stub servers (an OpenAI-compatible LLM and an AUTOMATIC1111 API that answers at once: HTTP, base64, JSON,
 * checks and files, no model), with the process's peak memory.
 *
 *   npx tsx bench/generate.ts [--images 10] [--size 256] [--concurrency 2]
 *
 * --images photos per dataset (2 datasets, 2 masks each: 4 × images masks). Prints items/s per stage and for the
 * whole pipeline (perturb + inpaint + caption + edit + assemble + measure, pixel metrics only), with both methods:
 * inpainting and p2p (prompt-based editing: captions, the edit, its post-edit mask).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createInpaintBackend, createLabelBackend } from '../src/generation/generate/backends.js';
import type { EditBackend } from '../src/generation/generate/contracts.js';
import { loadCaptionPrompts } from '../src/generation/generate/caption/index.js';
import { OfflineCaptionBackend } from '../src/generation/generate/caption/offline.js';
import { photosOf } from '../src/generation/generate/caption-stage.js';
import { createEditBackend, OFFLINE_EDIT_MODEL, OfflineEditBackend } from '../src/generation/generate/edit/index.js';
import { ClassicalBackend, TELEA_MODEL } from '../src/generation/generate/inpaint/classical.js';
import { authorsMaskPreparer } from '../src/generation/generate/inpaint-stage.js';
import { loadMasks, generate } from '../src/generation/generate/pipeline.js';
import { loadPrompts } from '../src/generation/generate/perturb/prompts.js';
import { originalImageRelPath, p2pRelPath } from '../src/generation/generate/layout.js';
import { postEditMask } from '../src/generation/generate/post-edit-mask.js';
import { startOpenAiStub } from '../tests/generation/generate/openai-stub.js';
import { makeSourceSet } from '../tools/make-source-set.js';

/** GET /sdapi/v1/sd-models lists v1-5-pruned-emaonly; POST /sdapi/v1/img2img answers the init image negated. */
async function startA1111Stub(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const json = (value: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/sdapi/v1/sd-models') return json([{ title: 'v1-5-pruned-emaonly.safetensors [6ce0161689]', model_name: 'v1-5-pruned-emaonly', hash: '6ce0161689', filename: 'v1-5-pruned-emaonly.safetensors' }]);
      const body = JSON.parse(Buffer.concat(chunks).toString());
      const edited = await sharp(Buffer.from(body.init_images[0], 'base64')).negate().png().toBuffer();
      json({ images: [edited.toString('base64')], parameters: {}, info: '{}' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

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
  const captionPrompts = loadCaptionPrompts();
  // p2p: offline captions (entities + WordNet) and the offline edit (a caption-driven global transform)
  const p2p = (editor: EditBackend, models: string[]) => ({
    captions: new OfflineCaptionBackend(captionPrompts, prompts), captionPrompts, editor, models,
  });

  const started = performance.now();
  const result = await generate({
    input: src, out: join(dir, 'gen'), labels: createLabelBackend('offline', undefined, prompts), inpainter: new ClassicalBackend(),
    models: [TELEA_MODEL], prepareMask: authorsMaskPreparer, prompts, seed: 1, concurrency, metricsDir: noModels, noLearned: true,
    methods: ['inpainting', 'p2p'], p2p: p2p(new OfflineEditBackend(), [OFFLINE_EDIT_MODEL]),
  });
  const wall = (performance.now() - started) / 1000;
  const masks = result.source.used;
  const photos = result.assemble!.real;
  console.log(`source: ${masks} masks on ${photos} photos of ${size}x${size}; concurrency ${concurrency}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rate = (n: number, ms: number | undefined) => `${(n / ((ms ?? NaN) / 1000)).toFixed(1)} items/s (${n} in ${((ms ?? NaN) / 1000).toFixed(2)} s)`;
  console.log(`perturb  (offline WordNet):          ${rate(masks, result.timingsMs.perturb)}`);
  console.log(`inpaint  (mask prep + classical):    ${rate(result.inpaint!.items, result.timingsMs.inpaint)}`);
  console.log(`caption  (p2p, offline entities):    ${rate(result.caption!.items, result.timingsMs.caption)}`);
  console.log(`edit     (p2p offline + its mask):   ${rate(result.edit!.items, result.timingsMs.edit)}`);
  // the post-edit masks alone, again over the edits just made (the edit stage computes them inline)
  const { masks: sourceMasks } = await loadMasks(src);
  const t = performance.now();
  for (const { masks: [m] } of photosOf(sourceMasks)) await postEditMask(join(dir, 'gen', originalImageRelPath(m)), join(dir, 'gen', p2pRelPath(m, OFFLINE_EDIT_MODEL)));
  console.log(`post-edit masks alone (recomputed):  ${rate(photos, performance.now() - t)}`);
  console.log(`assemble:                            ${rate(result.assemble!.fake, result.timingsMs.assemble)}`);
  console.log(`measure  (pixel metrics):            ${rate(result.measure!.pairs, result.timingsMs.measure)}`);
  console.log(`whole pipeline:                      ${((masks + photos) / wall).toFixed(2)} edits/s (${masks} masks + ${photos} photos in ${wall.toFixed(1)} s)`);

  // The whole pipeline against stub servers: the LLM answers "red {label}", the WebUI answers the photo, negated
  // (inpainting and the p2p img2img edit alike; p2p captions stay offline).
  const labels = [...new Set(sourceMasks.map((m) => m.maskName))];
  const llm = await startOpenAiStub({ model: 'stub', labels, script: Object.fromEntries(labels.map((l) => [l, [`red ${l}`]])) });
  const webui = await startA1111Stub();
  try {
    const t0 = performance.now();
    const stubbed = await generate({
      input: src, out: join(dir, 'gen-stub'), labels: createLabelBackend(llm.url, 'stub', prompts), inpainter: createInpaintBackend(`a1111:${webui.url}`),
      models: ['StableDiffusion_v5'], prepareMask: authorsMaskPreparer, prompts, seed: 1, concurrency: 8, metricsDir: noModels, noLearned: true,
      methods: ['inpainting', 'p2p'], p2p: p2p(createEditBackend(`a1111:${webui.url}`), ['StableDiffusion_v5']),
    });
    const stubWall = (performance.now() - t0) / 1000;
    console.log(`\nagainst stub servers (8 in flight): ${stubbed.inpaint!.ok}/${stubbed.inpaint!.items} inpainted, ${stubbed.edit!.ok}/${stubbed.edit!.items} p2p edits`);
    console.log(`perturb  (OpenAI-compatible stub):   ${rate(masks, stubbed.timingsMs.perturb)}`);
    console.log(`inpaint  (mask prep + A1111 stub):   ${rate(stubbed.inpaint!.items, stubbed.timingsMs.inpaint)}`);
    console.log(`edit     (p2p, A1111 img2img stub):  ${rate(stubbed.edit!.items, stubbed.timingsMs.edit)}`);
    console.log(`whole pipeline:                      ${((masks + photos) / stubWall).toFixed(2)} edits/s (${stubWall.toFixed(1)} s)`);
  } finally {
    await llm.close();
    await webui.close();
  }
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
