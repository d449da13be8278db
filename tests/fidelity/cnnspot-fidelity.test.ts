// End-to-end fidelity: a random-weight CNNSpot-architecture model (torchvision resnet50, one logit) exported to
// ONNX; for generated JPEG and PNG files of different sizes, semibench's P(fake) (sharp decode, src/image ops,
// onnxruntime-node) must equal the reference PyTorch pipeline's (PIL open, torchvision transforms, torch model)
// within 1e-4, under both protocols. Needs Debian's python3-torch; without it the test is skipped with the reason
// (a failure under CI=true).
// The ~94 MB ONNX file is built into a temp folder by the test, never committed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/detectors/adapter.js';
import { cnnspotBlur01 } from '../../src/detectors/zoo/cnnspot.js';
import { decodeImage } from '../../src/image/decode.js';
import { uniform } from '../../src/util/random.js';
import { skipWithoutReference, tempDir } from '../helpers.js';

const PYTHON = process.env.SEMIBENCH_PYTHON ?? '/usr/bin/python3';
const TOLERANCE = 1e-4;
const env = { ...process.env, OMP_NUM_THREADS: '2', PYTHONDONTWRITEBYTECODE: '1' };

const torchProbe = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
const missing = torchProbe.status === 0 ? undefined : `${PYTHON} cannot import torch/torchvision/onnx: ${(torchProbe.stderr ?? torchProbe.error?.message ?? '').trim().split('\n').at(-1)}`;

/** Procedural test images: gradients, noise and hard edges, in the formats and sizes detectors meet. */
const IMAGES: { name: string; width: number; height: number; format: 'jpeg' | 'png'; options?: object; channels?: 1 | 3 | 4 }[] = [
  { name: 'a-512.jpg', width: 512, height: 512, format: 'jpeg', options: { quality: 90 } },
  { name: 'b-640x480.png', width: 640, height: 480, format: 'png' },
  { name: 'c-333x500.jpg', width: 333, height: 500, format: 'jpeg', options: { quality: 75 } },
  { name: 'd-1024x683.jpg', width: 1024, height: 683, format: 'jpeg', options: { quality: 95, chromaSubsampling: '4:4:4' } },
  { name: 'e-200x150.png', width: 200, height: 150, format: 'png' },
  { name: 'f-97x61.png', width: 97, height: 61, format: 'png' },
  { name: 'g-300x300-progressive.jpg', width: 300, height: 300, format: 'jpeg', options: { quality: 85, progressive: true } },
  { name: 'h-256x384-grey.png', width: 256, height: 384, format: 'png', channels: 1 },
  { name: 'i-480x360-rgba.png', width: 480, height: 360, format: 'png', channels: 4 },
];

async function writeImages(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const [k, spec] of IMAGES.entries()) {
    const channels = spec.channels ?? 3;
    const rand = uniform(100 + k);
    const data = new Uint8Array(spec.width * spec.height * channels);
    for (let y = 0; y < spec.height; y++)
      for (let x = 0; x < spec.width; x++)
        for (let c = 0; c < channels; c++) {
          const edge = (x + 2 * y) % 37 < 4 ? 90 : 0;
          data[(y * spec.width + x) * channels + c] = Math.min(255, Math.round((x * (c + 1) * 255) / spec.width / 2 + (y * 128) / spec.height + edge + rand() * 30));
        }
    const path = join(dir, spec.name);
    const image = sharp(Buffer.from(data), { raw: { width: spec.width, height: spec.height, channels } });
    await (spec.format === 'png' ? image.png() : image.jpeg(spec.options)).toFile(path);
    paths.push(path);
  }
  return paths;
}

function python(args: string[]): string {
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${args[0]} failed:\n${result.stderr}`);
  return result.stdout;
}

describe.skipIf(skipWithoutReference('fidelity', missing))('CNNSpot-architecture fidelity: semibench vs PyTorch', () => {
  // made in beforeAll, which a skipped file never runs (neither does the afterAll that removes tempDir folders)
  let dir = '';
  let images: string[] = [];
  let model: { weights: string; onnx: string; sha256: string };

  beforeAll(async () => {
    dir = tempDir('semibench-fidelity-');
    images = await writeImages(dir);
    model = JSON.parse(python(['tools/reference/make_fidelity_model.py', '--out-dir', dir, '--no-verify']).trim().split('\n').at(-1)!);
  }, 600_000);

  for (const [protocol, reference] of [['native', 'native-cnnspot'], ['semitruths', 'semitruths']] as const) {
    it(`gives PyTorch's probability within ${TOLERANCE} for ${IMAGES.length} images (protocol ${protocol})`, async () => {
      const expected: Record<string, number> = JSON.parse(python(['tools/reference/predict.py', '--weights', model.weights, '--protocol', reference, ...images]));
      const manifest = { ...cnnspotBlur01, model: { ...cnnspotBlur01.model, path: model.onnx, sha256: model.sha256 } };
      const detector = await loadDetector(manifest, { modelsDir: dir, protocol });
      const spread = new Set<string>();
      for (const path of images) {
        const [p] = await detector.score([await detector.prepare(await decodeImage(path))]);
        expect(Math.abs(p - expected[path]), `${path}: semibench ${p}, PyTorch ${expected[path]}`).toBeLessThanOrEqual(TOLERANCE);
        spread.add(expected[path].toFixed(3));
      }
      // The comparison means something only if the model's outputs differ between images.
      expect(spread.size).toBeGreaterThan(3);
      await detector.close();
    }, 600_000);
  }
});
