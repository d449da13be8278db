/**
 * Times BRISQUE (src/generation/brisque) against the Python reference (tools/parity/make_brisque_goldens.py, the
 * `brisque` package's algorithm on scipy/skimage/OpenCV) on the same N procedural 512×512 photos, and prints
 * images/s for both plus the largest score difference.
 *
 *   npx tsx bench/brisque.ts [--n 10] [--python /usr/bin/python3]
 *
 * Both clocks start after the images are decoded into memory (the compute only).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brisqueScore } from '../src/generation/brisque/index.js';
import { decodeImage } from '../src/image/decode.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const n = Number(opt('--n', '10'));
const python = opt('--python', '/usr/bin/python3');

const PY = `
import sys, time, json, os
import numpy as np
from PIL import Image
sys.path.insert(0, 'tools/parity')
import make_brisque_goldens as ref
out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(5)
for i in range(n):
    Image.fromarray(ref.procedural_photo(rng, 512, 512)).save(os.path.join(out, f'{i:03d}.png'))
imgs = [np.array(Image.open(os.path.join(out, f'{i:03d}.png')).convert('RGB')) for i in range(n)]
ref.score(ref.features(imgs[0]))
t = time.perf_counter()
scores = [ref.score(ref.features(im)) for im in imgs]
print(json.dumps({'seconds': time.perf_counter() - t, 'scores': scores}))
`;

const dir = mkdtempSync(join(tmpdir(), 'brisque-bench-'));
try {
  const py = spawnSync(python, ['-c', PY, dir, String(n)], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`python reference failed: ${py.stderr}`);
  const ref = JSON.parse(py.stdout.trim().split('\n').pop()!) as { seconds: number; scores: number[] };
  const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  const imgs = await Promise.all(files.map((f) => decodeImage(join(dir, f))));
  brisqueScore(imgs[0]); // warm-up (model load, JIT)
  const t = performance.now();
  const scores = imgs.map((img) => brisqueScore(img));
  const seconds = (performance.now() - t) / 1000;
  const maxDiff = Math.max(...scores.map((s, i) => Math.abs(s - ref.scores[i])));
  console.log(`BRISQUE on ${n} procedural 512x512 photos`);
  console.log(`  semibench: ${(n / seconds).toFixed(2)} images/s`);
  console.log(`  python reference (scipy/skimage/cv2): ${(n / ref.seconds).toFixed(2)} images/s`);
  console.log(`  ratio: ${(ref.seconds / seconds).toFixed(2)}x, max |score diff| ${maxDiff.toExponential(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
