/**
 * Times the BLIP caption backend (src/generation/generate/caption/blip.ts): per photo the preprocessing, the vision
 * graph and the decoding loop (decoder runs, beams), with the blip.json settings of the model folder.
 *
 *   npx tsx bench/blip-caption.ts --model models/blip-caption-large [--images DIR] [--n 5]
 *   npx tsx bench/blip-caption.ts            # builds the TINY random BLIP of tools/parity/make_blip_goldens.py
 *
 * Without --images it captions the fixture source photos (fixtures/source/images). Prints the machine load: the
 * figures are only comparable on an idle machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlipCaptioner } from '../src/generation/generate/caption/blip.js';
import { decodeImage } from '../src/image/decode.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt?: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const n = Number(opt('--n', '5'));
const imagesDir = opt('--images', 'fixtures/source/images')!;
let model = opt('--model');
const scratch = model ? undefined : mkdtempSync(join(tmpdir(), 'blip-bench-'));
try {
  if (scratch) {
    const built = spawnSync(opt('--python', '/usr/bin/python3')!, ['tools/parity/make_blip_goldens.py', '--out', scratch], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
    if (built.status !== 0) throw new Error(`make_blip_goldens.py failed: ${built.stderr}`);
    model = join(scratch, 'model');
  }
  const files = (readdirSync(imagesDir, { recursive: true }) as string[]).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().slice(0, n);
  const captioner = await BlipCaptioner.load(model!);
  const s = captioner.settings;
  console.log(`BLIP captions: ${s.model} (${model}), beams ${s.num_beams}, length ${s.min_length}–${s.max_length}; ${files.length} photos from ${imagesDir}`);
  console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await captioner.caption(readFileSync(join(imagesDir, files[0]))); // warm-up
  let pre = 0;
  let vision = 0;
  let decode = 0;
  let tokens = 0;
  for (const file of files) {
    let t = performance.now();
    const pixels = captioner.preprocess(await decodeImage(join(imagesDir, file)));
    pre += performance.now() - t;
    t = performance.now();
    const embeds = await captioner.imageEmbeds(pixels);
    vision += performance.now() - t;
    t = performance.now();
    const ids = await captioner.generate(embeds);
    decode += performance.now() - t;
    tokens += ids.length - captioner.promptIds.length;
    console.log(`  ${file}: ${captioner.decode(ids).caption}`);
  }
  const per = (ms: number) => `${(ms / files.length).toFixed(0)} ms/photo`;
  console.log(`preprocess ${per(pre)}, vision ${per(vision)}, decoding ${per(decode)} (${(tokens / files.length).toFixed(1)} tokens/photo)`);
  console.log(`total ${(files.length / ((pre + vision + decode) / 1000)).toFixed(2)} photos/s`);
  await captioner.close();
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
