/**
 * What batch invariance costs: the runner infers one image per onnxruntime call, because the same image scored
 * inside a batch of 8 gives (slightly) different numbers than alone. This prints, per model, the ms per image
 * of one batch-8 call vs eight batch-1 calls, and how far the batched scores drift from the batch-1 ones.
 *
 *   npx tsx bench/inference-batch.ts [--images 64] [--rounds 3]
 *
 * Models: the two builtin baselines at 256², and a small conv net built here (4 stride-2 3×3 convs 3→32→64→128→256,
 * global pool, linear; ~0.19 GMAC per 224² image: a stand-in for a CNN detector, whose exported weights are not in
 * the repository). Inputs are seeded random tensors; onnxruntime's default threads (all cores).
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { BUILTIN_DETECTORS } from '../src/detectors/builtin/index.js';
import { GraphBuilder } from '../src/detectors/onnx-graph.js';
import { uniform } from '../src/util/random.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const IMAGES = arg('images', 64);
const ROUNDS = arg('rounds', 3);
const BATCH = 8;

function convNet(): Uint8Array {
  const random = uniform(7);
  const g = new GraphBuilder(17);
  let x = g.input('input', ['N', 3, 224, 224]);
  let channels = 3;
  for (const out of [32, 64, 128, 256]) {
    const weights = Array.from({ length: out * channels * 9 }, () => (random() - 0.5) / Math.sqrt(channels * 9));
    x = g.op('Relu', [g.op('Conv', [x, g.floats(weights, [out, channels, 3, 3]), g.floats(new Array(out).fill(0.01))], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })]);
    channels = out;
  }
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])]);
  const head = g.floats(Array.from({ length: channels }, () => random() - 0.5), [channels, 1]);
  g.op('Gemm', [pooled, head, g.floats([0])], {}, 'logit');
  g.output('logit', ['N', 1]);
  return g.build();
}

async function bench(name: string, model: Uint8Array, input: string, output: string, size: number): Promise<void> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
  const random = uniform(1);
  const per = 3 * size * size;
  const data = Float32Array.from({ length: IMAGES * per }, () => random());
  const run = async (start: number, n: number) => {
    const result = await session.run({ [input]: new ort.Tensor('float32', data.subarray(start * per, (start + n) * per), [n, 3, size, size]) });
    return Array.from(result[output].data as Float32Array).slice(0, n);
  };
  await run(0, BATCH); // warm-up
  const batched: number[] = [];
  const single: number[] = [];
  const parallel: number[] = [];
  const times = { batched: [] as number[], single: [] as number[], parallel: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = performance.now();
    batched.length = 0;
    for (let i = 0; i < IMAGES; i += BATCH) batched.push(...(await run(i, Math.min(BATCH, IMAGES - i))));
    times.batched.push((performance.now() - t0) / IMAGES);
    t0 = performance.now();
    single.length = 0;
    for (let i = 0; i < IMAGES; i++) single.push(...(await run(i, 1)));
    times.single.push((performance.now() - t0) / IMAGES);
    t0 = performance.now();
    parallel.length = 0;
    for (let i = 0; i < IMAGES; i += BATCH) {
      const group = await Promise.all(Array.from({ length: Math.min(BATCH, IMAGES - i) }, (_, k) => run(i + k, 1)));
      parallel.push(...group.flat());
    }
    times.parallel.push((performance.now() - t0) / IMAGES);
  }
  await session.release();
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const [b, s, p] = [median(times.batched), median(times.single), median(times.parallel)];
  const parallelDiffers = parallel.filter((v, i) => v !== single[i]).length;
  const drift = Math.max(...batched.map((v, i) => Math.abs(v - single[i])));
  const differing = batched.filter((v, i) => v !== single[i]).length;
  console.log(
    `${name.padEnd(14)} ${size}²  batch ${BATCH}: ${b.toFixed(2)} ms/image   batch 1: ${s.toFixed(2)} ms/image   cost ${((s / b - 1) * 100).toFixed(0).padStart(4)}%   ` +
      `outputs differing: ${differing}/${IMAGES} (max |Δ| ${drift.toExponential(1)})   ` +
      `${BATCH} concurrent batch-1 calls: ${p.toFixed(2)} ms/image, differing from sequential: ${parallelDiffers}`,
  );
}

console.log(`${IMAGES} images, median of ${ROUNDS} rounds, ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}, onnxruntime ${ort.env.versions.common}`);
for (const builtin of BUILTIN_DETECTORS) {
  const { manifest } = builtin;
  await bench(manifest.name, builtin.build(), manifest.model.input, manifest.model.output, 256);
}
await bench('conv-net', convNet(), 'input', 'logit', 224);
