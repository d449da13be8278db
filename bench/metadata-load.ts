// Metadata load time and peak memory of the archive loaders, on generated metadata of the released sizes:
// - the Evalset's metadata.csv (~45 MB, the fixture's 49 columns repeated with unique paths) → ArchiveEvalsetSource;
// - the full release's per-model {DS}_{Model}_meta.csv files and metadata/edited/prompt-based-editing.csv
//   (--rows edits, default 400 k; the release has 1.47 M) → FullReleaseSource;
// then RSS while streaming samples from a generated archive group, to show it stays flat.
// Each load runs in a fresh child process, so its peak RSS (maxRSS) is its own.
// Usage: node --expose-gc --import tsx bench/metadata-load.ts [--rows 400000] [--mb 45] [--members 1000]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import { ArchiveEvalsetSource, FullReleaseSource, readSampleFile, type DataSource } from '../src/loaders/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

if (args[0] === '--child') {
  // One measurement: index the metadata (count), or stream every sample (RSS sampled along the way).
  const [, kind, dir] = args;
  const source: DataSource = kind === 'evalset' ? new ArchiveEvalsetSource(dir) : new FullReleaseSource(dir);
  const t0 = performance.now();
  const rows = await source.count!();
  const s = (performance.now() - t0) / 1000;
  global.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const perRow = `${((s * 1e6) / rows).toFixed(1)} µs and ${(heap / rows).toFixed(0)} B of heap per sample`;
  const line = [`${kind}: ${rows} samples indexed in ${s.toFixed(1)} s`, `heap after ${mib(heap)}`, `RSS ${mib(process.memoryUsage().rss)} (${perRow})`];
  if (args.includes('--stream')) {
    const rss: number[] = [];
    let n = 0;
    let missing = 0;
    for await (const sample of source.samples()) {
      // The photos of the edits are not in this set: their rows are error rows, as in a run.
      await readSampleFile(sample).catch(() => missing++);
      if (++n % Math.ceil(rows / 10) === 0) rss.push(process.memoryUsage().rss);
    }
    line.push(`streamed ${n} (${missing} rows without an image), RSS at each tenth: ${rss.map((r) => (r / 2 ** 20).toFixed(0)).join(' ')} MiB`);
  }
  line.push(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
  console.log(line.join(', '));
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'semibench-bench-metadata-'));
const self = fileURLToPath(import.meta.url);
const child = (kind: string, dir: string, more: string[] = []) => {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', kind, dir, ...more], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return `${r.stdout.trim()}  [load ${loadavg()[0].toFixed(2)}]`;
};
try {
  console.log(`machine load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // 1. The Evalset's metadata.csv at the released size.
  const evalset = join(work, 'evalset');
  mkdirSync(join(evalset, 'p2p'), { recursive: true });
  const fixture = readFileSync('fixtures/evalset/metadata.csv', 'utf8').trim().split('\n');
  const lines = [fixture[0]];
  let bytes = 0;
  for (let i = 0; bytes < option('--mb', 45) * 1e6; i++) {
    const line = fixture[1 + (i % (fixture.length - 1))].replace(/,(original\/images|inpainting|p2p)\/([^/,]+)\/([^,]+)/, `,$1/$2/${i}_$3`);
    lines.push(line);
    bytes += line.length + 1;
  }
  writeFileSync(join(evalset, 'metadata.csv'), lines.join('\n') + '\n');
  writeFileSync(join(evalset, 'p2p/ADE20K.tar.bz2'), execFileSync('bzip2', ['-c'], { input: Buffer.alloc(10240) }));
  console.log(`Evalset metadata.csv: ${(statSync(join(evalset, 'metadata.csv')).size / 1e6).toFixed(1)} MB, ${lines.length - 1} rows`);
  console.log('  ' + child('evalset', evalset));

  // 2. The full release's metadata: edits over 6 datasets × 5 inpainting models (per-model meta CSVs) + prompt rows.
  const release = join(work, 'release');
  const edits = option('--rows', 400_000);
  const datasets = ['ADE20K', 'CelebAHQ', 'CityScapes', 'HumanParsing', 'OpenImages', 'SUN_RGBD'];
  const inpaint = ['StableDiffusion_v4', 'StableDiffusion_v5', 'StableDiffusion_XL', 'Kandinsky_2_2', 'OpenJourney'];
  const columns = ['img_id', 'perturbed_img_id', 'original_caption', 'perturbed_caption', 'dataset', 'diffusion_model', 'language_model', 'sem_magnitude', 'post_edit_ratio', 'ssim', 'mse', 'lpips_score', 'dreamsim', 'sen_sim', 'largest_component_size', 'cc_clusters', 'cluster_dist', 'pass_qc', 'mask_id', 'mask_name', 'area_ratio'];
  const record = (i: number, ds: string, model: string, inpainting: boolean) => {
    const img = `${ds}_img_${String(i % 27_600).padStart(6, '0')}`;
    const pid = inpainting ? `instance_${String(i % 97).padStart(3, '0')}_${img}_${i}` : `${img}_${i}`;
    return [img, pid, 'a wooden fence', 'a fence made of glowing crystals', ds, model, inpainting ? 'LlaVA-Mistral' : 'LlaVA-Hermes', ['small', 'medium', 'large'][i % 3], String((i % 1000) / 1000), '0.9473633085444343', '0.0009122349026416123', '0.1234567', '0.2345678', '0.3456789', '698', '2', '-1', '1', inpainting ? pid : '', inpainting ? 'fence' : '', inpainting ? '0.0100250244140625' : ''];
  };
  const groups = datasets.flatMap((ds) => inpaint.map((model) => ({ ds, model })));
  const perGroup = Math.ceil((edits * 0.6) / groups.length);
  let metaBytes = 0;
  for (const [g, { ds, model }] of groups.entries()) {
    const file = join(release, 'inpainting', ds, model, `${ds}_${model}_meta.csv`);
    mkdirSync(dirname(file), { recursive: true });
    const text = stringify(Array.from({ length: perGroup }, (_, k) => record(k * groups.length + g, ds, model, true)), { header: true, columns });
    writeFileSync(file, text);
    metaBytes += text.length;
  }
  mkdirSync(join(release, 'metadata/edited'), { recursive: true });
  const prompts = stringify(Array.from({ length: edits - perGroup * groups.length }, (_, i) => record(i, datasets[i % 6], ['OpenJourney', 'StableDiffusion_v4', 'StableDiffusion_v5'][i % 3], false)), { header: true, columns });
  writeFileSync(join(release, 'metadata/edited/prompt-based-editing.csv'), prompts);
  metaBytes += prompts.length;
  console.log(`full-release metadata: ${(metaBytes / 1e6).toFixed(1)} MB in ${groups.length + 1} CSVs, ${edits} edits`);
  console.log('  ' + child('release', release));

  // 3. Streaming: one archive group of many members; RSS must not grow with the members read.
  const stream = join(work, 'stream');
  const members = option('--members', 1000);
  const png = readFileSync('fixtures/evalset/inpainting/ADE20K/instance_000_ADE_train_00000001_ADE20K_StableDiffusion_XL.png');
  const folder = join(stream, 'inpainting/ADE20K/StableDiffusion_XL');
  mkdirSync(folder, { recursive: true });
  const names = Array.from({ length: members }, (_, i) => `instance_${i}_img_${i}_ADE20K_StableDiffusion_XL.png`);
  for (const name of names) writeFileSync(join(folder, name), png);
  execFileSync('tar', ['-C', folder, '-cjf', join(folder, 'ADE20K_StableDiffusion_XL_0.tar.bz2'), ...names]);
  for (const name of names) rmSync(join(folder, name));
  writeFileSync(join(folder, 'ADE20K_StableDiffusion_XL_meta.csv'), stringify(names.map((_, i) => record(i, 'ADE20K', 'StableDiffusion_XL', true).map((v, c) => (c === 0 ? `img_${i}` : c === 1 || c === 18 ? `instance_${i}_img_${i}` : v))), { header: true, columns }));
  console.log(`streaming ${members} members (${(members * png.length / 1e6).toFixed(0)} MB of PNG) from one archive:`);
  console.log('  ' + child('release', stream, ['--stream']));
} finally {
  rmSync(work, { recursive: true, force: true });
}
