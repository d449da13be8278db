// Peak memory and time of `measure` on an Evalset read from its .tar.bz2 archives (src/generation/archived-pairs.ts)
// against the same files extracted: generated 512x512 noisy JPEG originals (incompressible, like photos), PNG edits
// (a changed square) and masks, one dataset. Each measure runs in a fresh child process (its own maxRSS), pixel
// metrics only (no learned models, no BRISQUE). The originals total ~N × 190 KB: a cache below that holds them in
// parts (edit archives reread per part), so RSS should follow the cache, not N.
// Usage: node --import tsx bench/measure-archives.ts [--pairs 120] [--caches 4,16,512]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { measure } from '../src/generation/measure.js';
import { evalsetTable } from '../src/generation/table.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

if (args[0] === '--child') {
  const [, dir, cache] = args;
  const t0 = performance.now();
  const result = await measure({ table: evalsetTable(dir), metricsDir: join(dir, 'no-models'), noLearned: true, noBrisque: true, archiveCacheMiB: Number(cache) });
  const passes = result.archives ? Object.values(result.archives.passes).join(',') : '-';
  console.log(JSON.stringify({ s: (performance.now() - t0) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, measured: result.measured, passes }));
  process.exit(0);
}

const pairs = Number(option('--pairs', '120'));
const caches = option('--caches', '4,16,512').split(',').map(Number);
const root = mkdtempSync(join(tmpdir(), 'semibench-bench-measure-archives-'));
try {
  const files = join(root, 'files');
  for (const d of ['original/images/ADE20K', 'original/masks/ADE20K', 'inpainting/ADE20K']) mkdirSync(join(files, d), { recursive: true });
  const rows = ['image_id,image_path,dataset,label,mask_id,mask_path,mask_name,method,model,perturbed_mask_name'];
  let originalBytes = 0;
  for (let i = 0; i < pairs; i++) {
    const id = `ADE_bench_${String(i).padStart(5, '0')}`;
    const noise = Buffer.alloc(512 * 512 * 3);
    for (let j = 0; j < noise.length; j++) noise[j] = (j * 2654435761 + i * 97) >>> 24;
    const raw = { raw: { width: 512, height: 512, channels: 3 as const } };
    const jpeg = await sharp(noise, raw).jpeg({ quality: 90 }).toBuffer();
    originalBytes += jpeg.length;
    writeFileSync(join(files, `original/images/ADE20K/${id}.jpg`), jpeg);
    const mask = Buffer.alloc(512 * 512);
    for (let y = 100; y < 200; y++) mask.fill(255, y * 512 + 100, y * 512 + 200);
    writeFileSync(join(files, `original/masks/ADE20K/instance_000_${id}.png`), await sharp(mask, { raw: { width: 512, height: 512, channels: 1 } }).png().toBuffer());
    const edited = Buffer.from(noise);
    for (let y = 100; y < 200; y++) edited.fill(128, (y * 512 + 100) * 3, (y * 512 + 200) * 3);
    writeFileSync(join(files, `inpainting/ADE20K/instance_000_${id}_ADE20K_StableDiffusion_XL.png`), await sharp(edited, raw).png().toBuffer());
    rows.push(`${id},original/images/ADE20K/${id}.jpg,ADE20K,real,,,,,,`);
    rows.push(`${id},inpainting/ADE20K/instance_000_${id}_ADE20K_StableDiffusion_XL.png,ADE20K,fake,instance_000_${id},original/masks/ADE20K/instance_000_${id}.png,wall,inpainting,StableDiffusion_XL,a brick wall`);
  }
  writeFileSync(join(files, 'metadata.csv'), `${rows.join('\n')}\n`);
  const archived = join(root, 'archived');
  mkdirSync(archived);
  cpSync(join(files, 'metadata.csv'), join(archived, 'metadata.csv'));
  for (const folder of ['original/images', 'original/masks', 'inpainting']) {
    mkdirSync(join(archived, folder), { recursive: true });
    execFileSync('tar', ['-C', join(files, folder), '-cjf', join(archived, folder, 'ADE20K.tar.bz2'), 'ADE20K']);
  }
  console.log(`${pairs} pairs, originals ${(originalBytes / 2 ** 20).toFixed(1)} MiB of JPEG; load ${loadavg()[0].toFixed(1)} (2 cores)`);
  const run = (dir: string, cache: number) => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, String(cache)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(child.stderr);
    return JSON.parse(child.stdout.trim().split('\n').pop()!) as { s: number; maxRssMiB: number; measured: number; passes: string };
  };
  const fresh = (from: string) => {
    const dir = join(root, `copy-${Math.random().toString(36).slice(2)}`);
    cpSync(from, dir, { recursive: true });
    return dir;
  };
  const extracted = run(fresh(files), 512);
  console.log(`extracted files:        ${extracted.s.toFixed(1)} s, peak RSS ${extracted.maxRssMiB.toFixed(0)} MiB (load ${loadavg()[0].toFixed(1)})`);
  for (const cache of caches) {
    const r = run(fresh(archived), cache);
    console.log(`archives, cache ${String(cache).padStart(4)} MiB: ${r.s.toFixed(1)} s, peak RSS ${r.maxRssMiB.toFixed(0)} MiB, originals held in ${r.passes} part(s) (load ${loadavg()[0].toFixed(1)})`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
