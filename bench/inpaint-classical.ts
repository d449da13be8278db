/**
 * Throughput of the weight-free inpainting path on N procedural 512x512 photos with one object mask each (about
 * 15 % of the image, like a Semi-Truths object): prepareMask (MaxFilter 9 x2, ModeFilter 10, GaussianBlur 16),
 * then the classical backend (Telea, PNG in → PNG out). Prints images/s per step, peak RSS, and — when
 * /usr/bin/python3 has OpenCV — cv2.inpaint's time on the same inputs and whether its bytes equal ours.
 *
 *   npx tsx bench/inpaint-classical.ts [--n 8] [--python /usr/bin/python3] [--no-python]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicalBackend, MASK_THRESHOLD, TELEA_MODEL, TELEA_RADIUS } from '../src/generation/generate/inpaint/classical.js';
import { prepareMask } from '../src/generation/generate/masks.js';
import { decodeImage } from '../src/image/decode.js';
import { encodeGreyPng, encodeRgbPng } from '../src/image/grey.js';

const SIZE = 512;

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** A smooth-plus-texture photo and an elliptical object mask, different per index. */
function scene(k: number): { photo: Uint8Array; mask: Uint8Array } {
  const photo = new Uint8Array(SIZE * SIZE * 3);
  const mask = new Uint8Array(SIZE * SIZE);
  const cx = 160 + 24 * k;
  const cy = 200 + 16 * k;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = (y * SIZE + x) * 3;
      photo[i] = (x * 255) / SIZE;
      photo[i + 1] = (y * 255) / SIZE;
      photo[i + 2] = 128 + 100 * Math.sin((x + 2 * y + 7 * k) / 9);
      if (((x - cx) / 120) ** 2 + ((y - cy) / 90) ** 2 <= 1) mask[y * SIZE + x] = 255;
    }
  }
  return { photo, mask };
}

async function main(): Promise<void> {
  const n = Number(argValue('n', '8'));
  const python = argValue('python', '/usr/bin/python3');
  const dir = mkdtempSync(join(tmpdir(), 'semibench-bench-inpaint-'));
  try {
    const inputs: { image: Buffer; maskPng: Buffer }[] = [];
    for (let k = 0; k < n; k++) {
      const { photo, mask } = scene(k);
      inputs.push({
        image: await encodeRgbPng({ width: SIZE, height: SIZE, data: photo }),
        maskPng: await encodeGreyPng({ width: SIZE, height: SIZE, data: mask }),
      });
    }
    const backend = new ClassicalBackend();
    // Wall time, and this process's CPU time (user + system; sharp's threads included), which a busy machine
    // inflates less.
    const cpu = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    let t = performance.now();
    let c = cpu();
    const prepared = [];
    for (const input of inputs) prepared.push(await prepareMask(input.maskPng));
    const maskSeconds = (performance.now() - t) / 1000;
    const maskCpu = cpu() - c;
    t = performance.now();
    c = cpu();
    const outputs = [];
    for (let k = 0; k < n; k++) {
      outputs.push(await backend.inpaint({ image: inputs[k].image, mask: prepared[k].png, prompt: '', seed: k, width: SIZE, height: SIZE, model: TELEA_MODEL }));
    }
    const inpaintSeconds = (performance.now() - t) / 1000;
    const inpaintCpu = cpu() - c;
    const filled = prepared.reduce((s, p) => s + p.mask.data.filter((v) => v >= MASK_THRESHOLD).length, 0) / n / (SIZE * SIZE);
    console.log(`${n} images ${SIZE}x${SIZE}, mean filled area ${(filled * 100).toFixed(1)} % (after mask preparation)`);
    const rate = (wall: number, busy: number): string =>
      `${(n / wall).toFixed(2)} images/s wall (${((wall / n) * 1000).toFixed(0)} ms each), ${(n / busy).toFixed(2)} images/s per CPU-second`;
    console.log(`prepareMask:          ${rate(maskSeconds, maskCpu)}`);
    console.log(`classical inpaint:    ${rate(inpaintSeconds, inpaintCpu)} (decode + Telea r=${TELEA_RADIUS} + PNG encode)`);
    console.log(`mask + inpaint:       ${rate(maskSeconds + inpaintSeconds, maskCpu + inpaintCpu)}`);
    console.log(`peak RSS:             ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);

    if (process.argv.includes('--no-python')) return;
    for (let k = 0; k < n; k++) {
      writeFileSync(join(dir, `img${k}.png`), inputs[k].image);
      writeFileSync(join(dir, `mask${k}.png`), await encodeGreyPng({ ...prepared[k].mask, data: prepared[k].mask.data.map((v) => (v >= MASK_THRESHOLD ? 255 : 0)) }));
    }
    const script = `
import sys, time, cv2, numpy as np
from PIL import Image
d, n = sys.argv[1], int(sys.argv[2])
ims = [np.asarray(Image.open(f"{d}/img{k}.png").convert("RGB")) for k in range(n)]
ms = [np.asarray(Image.open(f"{d}/mask{k}.png").convert("L")) for k in range(n)]
t = time.perf_counter()
outs = [cv2.inpaint(ims[k], ms[k], ${TELEA_RADIUS}, cv2.INPAINT_TELEA) for k in range(n)]
print(time.perf_counter() - t)
for k in range(n): Image.fromarray(outs[k]).save(f"{d}/cv{k}.png")
`;
    const run = spawnSync(python, ['-c', script, dir, String(n)], { encoding: 'utf8' });
    if (run.status !== 0) {
      console.log(`(no OpenCV comparison: ${python} failed: ${run.stderr.trim().split('\n').pop()})`);
      return;
    }
    const cvSeconds = Number(run.stdout.trim());
    let identical = 0;
    for (let k = 0; k < n; k++) {
      const ours = await decodeImage(outputs[k]);
      const theirs = await decodeImage(readFileSync(join(dir, `cv${k}.png`)));
      if (Buffer.from(ours.data).equals(Buffer.from(theirs.data))) identical++;
    }
    console.log(`cv2.inpaint (C++):    ${(n / cvSeconds).toFixed(2)} images/s (Telea only, in-memory arrays)`);
    console.log(`byte-identical to cv2.inpaint: ${identical}/${n}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
