/**
 * Scale benchmark of `semibench report` (not a test): a synthetic run the size of the full Semi-Truths
 * dataset scored by six detectors — 1.5 M fakes + 28 k reals = ~1.53 M metadata rows, ~9.2 M prediction
 * rows — then the full report (every slice of bench.config.ts, intervals, CSVs, results.json, summary.md),
 * timed in a fresh process so its peak RSS is the report's alone.
 *
 *   npx tsx bench/report.ts                 # generate (cached in the temp dir, not timed), then time the report
 *   npx tsx bench/report.ts --fakes 150000  # a smaller run
 *   npx tsx bench/report.ts --fresh         # regenerate the data
 *   npx tsx bench/report.ts --workers 1     # on one thread only (default: the report's choice, then 1 thread)
 *   npx tsx bench/report.ts --reps 3        # repetitions, interleaved
 *   npx tsx bench/report.ts --no-reference  # without the pandas + sklearn baseline (bench/report_reference.py)
 *   npx tsx bench/report.ts --out DIR       # write the report there (default: report/ beside the generated data)
 *
 * Prints a side-by-side table: semibench with the report's own thread choice, semibench on one thread, and
 * the pandas + sklearn baseline (which does less: see its docstring), each with the machine's 1-minute load
 * average when it started, wall and CPU seconds (CPU is the fairer figure on a loaded machine), peak RSS, and
 * the baseline's time divided by semibench's. Targets (issue 14): under 20 s wall at full size on the 2-core
 * dev machine, at least 10 x the baseline.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { buildReport } from '../src/reports/report.js';
import { writeReport } from '../src/reports/write.js';

const DETECTORS = ['universal-fake-detect', 'de-fake', 'cnnspot-blur-jpg-0.1', 'dire', 'npr', 'dinov2-semitruths'];
const DATASETS = ['ADE20K', 'CelebAHQ', 'CityScapes', 'HumanParsing', 'OpenImages', 'SUN_RGBD'];
const MODELS = ['Kandinsky_2_2', 'OpenJourney', 'StableDiffusion_XL', 'StableDiffusion_v4', 'StableDiffusion_v5'];
const ENTITIES = ['sky', 'tree', 'person', 'car', 'road', 'building', 'grass', 'wall', 'floor', 'chair', 'table', 'window', 'door', 'plant'];

interface Args {
  fakes: number;
  reals: number;
  fresh: boolean;
  /** Threads for the report (default: the report's own choice, 2 at this size). */
  workers?: number;
  reps: number;
  reference: boolean;
  /** Where the report is written (default: DIR/report beside the generated data). */
  out?: string;
  child?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { fakes: 1_500_000, reals: 28_000, fresh: false, reps: 1, reference: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--fakes') args.fakes = Number(argv[++i]);
    else if (argv[i] === '--reals') args.reals = Number(argv[++i]);
    else if (argv[i] === '--fresh') args.fresh = true;
    else if (argv[i] === '--child') args.child = argv[++i];
    else if (argv[i] === '--workers') args.workers = Number(argv[++i]);
    else if (argv[i] === '--reps') args.reps = Number(argv[++i]);
    else if (argv[i] === '--no-reference') args.reference = false;
    else if (argv[i] === '--out') args.out = resolve(argv[++i]);
  }
  return args;
}

/** A deterministic stream of uniforms (mulberry32), so every generation writes the same bytes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Writer {
  private fd: number;
  private parts: string[] = [];
  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }
  line(s: string): void {
    this.parts.push(s);
    if (this.parts.length >= 20_000) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Writes DIR/data/metadata.csv (Semi-Truths columns) and DIR/run/predictions.csv (six detectors). */
function generate(dir: string, { fakes, reals }: Args): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'run'), { recursive: true });
  const r = rng(7);
  const meta = new Writer(join(dir, 'data', 'metadata.csv'));
  meta.line('image_id,image_path,dataset,entities,label,method,model,language_model,sem_magnitude,ratio,post_edit_ratio,ssim,mse,lpips_score,dreamsim,sen_sim,localization,pass_qc\n');
  const ids: string[] = [];
  const labels = new Uint8Array(reals + fakes);
  const effect = new Float32Array(reals + fakes); // how visible the edit is: drives synthetic scores
  const imageOf = (k: number): number => k % reals;
  let row = 0;
  for (let k = 0; k < reals; k++, row++) {
    const ds = DATASETS[k % DATASETS.length];
    const imageId = `${ds}_${String(k).padStart(6, '0')}`;
    const entities = `"[${ENTITIES.slice(0, 1 + ((k * 7) % ENTITIES.length)).map((e) => `'${e}'`).join(', ')}]"`;
    const path = `original/images/${ds}/${imageId}.jpg`;
    ids.push(path);
    meta.line(`${imageId},${path},${ds},${entities},real,,,,,,,,,,,,,\n`);
  }
  for (let k = 0; k < fakes; k++, row++) {
    const image = imageOf(k);
    const ds = DATASETS[image % DATASETS.length];
    const imageId = `${ds}_${String(image).padStart(6, '0')}`;
    const entities = `"[${ENTITIES.slice(0, 1 + ((image * 7) % ENTITIES.length)).map((e) => `'${e}'`).join(', ')}]"`;
    const inpainting = r() < 0.6;
    const model = MODELS[Math.floor(r() * MODELS.length)];
    const sem = ['small', 'medium', 'large'][Math.floor(r() * 3)];
    const area = r() ** 2;
    const post = Math.min(1, area * (0.5 + r()));
    const ssim = 1 - post * r();
    const path = `${inpainting ? 'inpainting' : 'p2p'}/${ds}/instance_${k}_${imageId}_${ds}_${model}.png`;
    ids.push(path);
    labels[row] = 1;
    effect[row] = post;
    meta.line(
      `${imageId},${path},${ds},${entities},fake,${inpainting ? 'inpainting' : 'p2p'},${model},${r() < 0.5 ? 'LlaVA-Mistral' : 'LLaMA'},${sem},` +
        `${inpainting ? area : ''},${post},${ssim},${post * post * 0.1},${post * r()},${post * r()},${r()},${post > 0.2 ? 'diffused' : 'localized'},${r() < 0.9 ? 1 : 0}\n`,
    );
  }
  meta.close();

  const pred = new Writer(join(dir, 'run', 'predictions.csv'));
  pred.line('sample_id,detector,score,label,status,error,ms,cache_key\n');
  for (const [d, name] of DETECTORS.entries()) {
    const skill = 0.4 + 0.3 * d;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const q = r();
      if (q < 1e-5) {
        pred.line(`${id},${name},,${labels[i]},error,"decode failed: truncated file",3.1,\n`);
        continue;
      }
      const logit = skill * (labels[i] ? 1 + 2 * effect[i] : -1) + 2 * (r() + r() + r() - 1.5);
      // float32 like an ONNX output, printed as the runner does (String of the double)
      const score = q < 2e-5 ? NaN : Math.fround(1 / (1 + Math.exp(-logit)));
      pred.line(`${id},${name},${score},${labels[i]},ok,,12.5,${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}\n`);
    }
    pred.line(`not/in/metadata_${d}.png,${name},0.5,1,ok,,1,\n`);
  }
  pred.close();
  writeFileSync(join(dir, 'run', 'run.json'), JSON.stringify({ config: { data: join(dir, 'data'), threshold: '0.5', protocol: 'native' }, detectors: [] }));
  writeFileSync(join(dir, 'complete'), '');
}

/** The timed part, in its own process: the whole report as `semibench report` runs it. */
async function child(dir: string, out: string, workers?: number): Promise<void> {
  const repo = resolve(fileURLToPath(import.meta.url), '../..');
  const config = await loadConfig(join(repo, 'bench.config.ts'), {});
  const t0 = performance.now();
  const report = await buildReport({ runDir: join(dir, 'run'), config, workers });
  const written = writeReport(report, out);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(); // every thread of the process
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      wallS,
      cpuS: (cpu.user + cpu.system) / 1e6,
      peakRssMb,
      phasesMs: report.timings,
      rows: report.meta.rowCount,
      predictionRows: report.scores.rows,
      slices: report.slices.length,
      sliceRows: report.rows.length,
      intervals: report.ci,
      files: written.files.length,
    }),
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const out = args.out ?? join(args.child ?? join(tmpdir(), `semibench-bench-report-${args.fakes}-${args.reals}`), 'report');
  if (args.child) return child(args.child, out, args.workers);
  const dir = join(tmpdir(), `semibench-bench-report-${args.fakes}-${args.reals}`);
  if (args.fresh) rmSync(dir, { recursive: true, force: true });
  if (!existsSync(join(dir, 'complete'))) {
    const t0 = performance.now();
    console.log(`generating ${args.fakes} fakes + ${args.reals} reals x ${DETECTORS.length} detectors in ${dir} (not timed) ...`);
    generate(dir, args);
    console.log(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const runs: Run[] = [];
  for (let rep = 0; rep < args.reps; rep++) {
    for (const workers of args.workers ? [args.workers] : [undefined, 1]) runs.push(semibench(dir, out, workers));
    if (args.reference) runs.push(reference(dir));
  }
  printTable(runs);
}

interface Run {
  name: string;
  load: number;
  wallS: number;
  cpuS: number;
  peakRssMb: number;
}

/** One report in a fresh process (so its peak RSS is the report's alone). */
function semibench(dir: string, out: string, workers?: number): Run {
  const load = loadavg()[0];
  const self = fileURLToPath(import.meta.url);
  const childArgs = ['--import', 'tsx', self, '--child', dir, '--out', out, ...(workers ? ['--workers', String(workers)] : [])];
  const run = spawnSync(process.execPath, childArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`report process failed (exit ${run.status})`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const name = `semibench${workers ? ` --workers ${workers}` : ''}`;
  console.log(`${name} (load ${load.toFixed(1)}): ${result.rows} metadata rows, ${result.predictionRows} prediction rows, ${result.slices} slices, ${result.sliceRows} slice rows`);
  console.log(`  wall ${result.wallS.toFixed(2)} s, CPU ${result.cpuS.toFixed(2)} s, peak RSS ${(result.peakRssMb / 1024).toFixed(2)} GB`);
  console.log(`  phases (ms): ${JSON.stringify(result.phasesMs)}`);
  console.log(`  intervals: ${result.intervals.bootstrapGroups} groups bootstrapped, ${result.intervals.normalGroups} normal (budget ${result.intervals.budget})`);
  console.log(`  output: ${out}`);
  return { name, load, wallS: result.wallS, cpuS: result.cpuS, peakRssMb: result.peakRssMb };
}

/** The pandas + sklearn baseline on the same files (Debian's python3, where the reference libraries are). */
function reference(dir: string): Run {
  const load = loadavg()[0];
  const script = resolve(fileURLToPath(import.meta.url), '../report_reference.py');
  const python = process.env.SEMIBENCH_PYTHON ?? '/usr/bin/python3';
  const run = spawnSync(python, [script, join(dir, 'run'), join(dir, 'data'), join(dir, 'reference.csv')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`pandas + sklearn baseline failed (exit ${run.status}); is pandas installed for ${python}?`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
  console.log(`pandas + sklearn (load ${load.toFixed(1)}): ${result.groups} groups, wall ${result.wallS.toFixed(2)} s, CPU ${result.cpuS.toFixed(2)} s, peak RSS ${(result.peakRssMb / 1024).toFixed(2)} GB`);
  return { name: 'pandas + sklearn', load, ...result };
}

/** The side-by-side table; ratios are the baseline's median time over each row's (by wall and by CPU). */
function printTable(runs: Run[]): void {
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const base = runs.filter((r) => r.name === 'pandas + sklearn');
  const baseWall = base.length ? median(base.map((r) => r.wallS)) : NaN;
  const baseCpu = base.length ? median(base.map((r) => r.cpuS)) : NaN;
  console.log('\n| run | load (1 min) | wall s | CPU s | peak RSS GB | baseline / run (wall) | baseline / run (CPU) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of runs) {
    const ratio = (b: number, x: number): string => (Number.isNaN(b) ? '–' : `${(b / x).toFixed(1)} ×`);
    console.log(`| ${r.name} | ${r.load.toFixed(1)} | ${r.wallS.toFixed(2)} | ${r.cpuS.toFixed(2)} | ${(r.peakRssMb / 1024).toFixed(2)} | ${ratio(baseWall, r.wallS)} | ${ratio(baseCpu, r.cpuS)} |`);
  }
}

await main();
