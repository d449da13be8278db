// bzip2 decoders side by side: MB/s of compressed input through each available decoder (system lbzip2, pbzip2,
// bzip2 as child processes; unbzip2-stream in JS), on a tar.bz2 of Semi-Truths-like PNGs made here; then the
// resume ledger's sha256 fingerprint of the compressed file; the archive loader's metadata index on a generated metadata.csv of the released size (~45 MB): load time, heap.
// Usage: npx tsx bench/bzip2.ts [archive.tar.bz2] [--mb 40]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ArchiveEvalsetSource, availableDecoders, chooseDecoder } from '../src/loaders/index.js';
import { decompressBzip2 } from '../src/loaders/bzip2.js';
import { fileSha256 } from '../src/loaders/ledger.js';

const args = process.argv.slice(2);
const mb = Number(args[args.indexOf('--mb') + 1] || 40);
const work = mkdtempSync(join(tmpdir(), 'semibench-bench-bzip2-'));
try {
  let archive = args.find((a) => a.endsWith('.bz2'));
  if (!archive) {
    // Image-like content: fixture PNGs repeated to ~mb MB (PNG data barely compresses, as in the release).
    const images = execFileSync('find', ['fixtures/evalset/inpainting', '-name', '*.png']).toString().trim().split('\n');
    const dir = join(work, 'imgs');
    execFileSync('mkdir', ['-p', dir]);
    let total = 0;
    for (let i = 0; total < mb * 1e6; i++) {
      const bytes = readFileSync(images[i % images.length]);
      writeFileSync(join(dir, `img_${i}.png`), bytes);
      total += bytes.length;
    }
    archive = join(work, 'bench.tar.bz2');
    execFileSync('tar', ['-C', work, '-cjf', archive, 'imgs']);
  }
  const size = statSync(archive).size;
  console.log(`archive ${archive}: ${(size / 1e6).toFixed(1)} MB compressed; load ${loadavg()[0].toFixed(2)} (${availableDecoders().length} decoders, used by default: ${chooseDecoder()})`);
  console.log('decoder   MB/s (compressed in)   MB/s (decoded out)   s');
  for (const decoder of availableDecoders()) {
    const t0 = performance.now();
    let out = 0;
    const { stream, result } = decompressBzip2(archive, decoder);
    for await (const chunk of stream) out += (chunk as Buffer).length;
    const failed = await result;
    if (failed) throw new Error(failed);
    const s = (performance.now() - t0) / 1000;
    console.log(`${decoder.padEnd(9)} ${(size / 1e6 / s).toFixed(1).padStart(10)} ${(out / 1e6 / s).toFixed(1).padStart(22)} ${s.toFixed(2).padStart(12)}   load ${loadavg()[0].toFixed(2)}`);
  }

  // The resume ledger's fingerprint: sha256 of the whole compressed file (docs/data-layouts.md, "Resuming over
  // archives"), read alone (checking a skip) and while decoding with the default decoder (reading a group).
  {
    const t0 = performance.now();
    await fileSha256(archive);
    const s = (performance.now() - t0) / 1000;
    console.log(`${'sha256'.padEnd(9)} ${(size / 1e6 / s).toFixed(1).padStart(10)} ${'-'.padStart(22)} ${s.toFixed(2).padStart(12)}   load ${loadavg()[0].toFixed(2)}   (reading + hashing the archive, no decoding)`);
    const t1 = performance.now();
    const hash = createHash('sha256');
    const { stream, result } = decompressBzip2(archive, chooseDecoder(), (chunk) => hash.update(chunk));
    for await (const _ of stream);
    if (await result) throw new Error('decoding failed');
    hash.digest();
    const s1 = (performance.now() - t1) / 1000;
    console.log(`${(chooseDecoder() + '+sha').padEnd(9)} ${(size / 1e6 / s1).toFixed(1).padStart(10)} ${'-'.padStart(22)} ${s1.toFixed(2).padStart(12)}   load ${loadavg()[0].toFixed(2)}   (decoding while hashing its input, as a read of a group does)`);
  }

  // The metadata index: a metadata.csv of ~45 MB with the fixture's 49 columns.
  const fixture = readFileSync('fixtures/evalset/metadata.csv', 'utf8').trim().split('\n');
  const lines = [fixture[0]];
  let bytes = 0;
  for (let i = 0; bytes < 45e6; i++) {
    const row = fixture[1 + (i % (fixture.length - 1))].replace(/^([^,]*),([^,]*)/, (_, id, path) => `${id}_${i},${path.replace(/(\.\w+)$/, `_${i}$1`)}`);
    lines.push(row);
    bytes += row.length + 1;
  }
  const data = join(work, 'release');
  execFileSync('mkdir', ['-p', join(data, 'p2p')]);
  writeFileSync(join(data, 'metadata.csv'), lines.join('\n') + '\n');
  writeFileSync(join(data, 'p2p', 'none.tar.bz2'), execFileSync('bzip2', ['-c'], { input: Buffer.alloc(1024) }));
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const source = new ArchiveEvalsetSource(data);
  const rows = await source.count();
  const s = (performance.now() - t0) / 1000;
  global.gc?.();
  const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  console.log(`metadata index: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB csv in ${s.toFixed(1)} s; heap held ${heap.toFixed(0)} MiB (run with --expose-gc for exact), peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; load ${loadavg()[0].toFixed(2)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
