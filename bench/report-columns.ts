/**
 * What planning a report's slices costs on data without metadata.csv (the full release, the first Evalset
 * version whose metadata.csv is inside a part): the columns come from listing the samples, the table from listing
 * them again. Times, on release-shaped folders of --rows metadata rows (tools/make-release-fixture.ts and
 * tools/make-evalset-archives.ts --layout 10p, their metadata repeated under new ids):
 *   index:     the loader's index alone (parse the per-model CSVs; decompress a part up to its metadata.csv);
 *   separate:  readColumns then readMetadata, each opening the data (each builds the index);
 *   shared:    the same on one source, as buildReport does (the index built once).
 *
 *   npx tsx bench/report-columns.ts [--rows 4000] [--reps 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { loadConfig } from '../src/config/index.js';
import { openDataSource } from '../src/loaders/index.js';
import { readColumns, readMetadata } from '../src/slices/metadata.js';
import { planSlices } from '../src/slices/plan.js';
import { makeEvalsetArchives } from '../tools/make-evalset-archives.js';
import { makeReleaseFixture } from '../tools/make-release-fixture.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const ROWS = option('--rows', 4000);
const REPS = option('--reps', 3);

/** A CSV's rows repeated until there are `rows`, `key` made unique in each copy (`_c{k}` before its extension). */
function repeatRows(file: string, rows: number, keys: string[]): number {
  const records = parse(readFileSync(file), { columns: true }) as Record<string, string>[];
  const out: Record<string, string>[] = [];
  for (let k = 0; out.length < rows; k++) {
    for (const r of records) {
      if (out.length >= rows) break;
      out.push(k === 0 ? r : { ...r, ...Object.fromEntries(keys.filter((c) => r[c]).map((c) => [c, r[c].replace(/(\.[a-z]+)?$/, `_c${k}$1`)])) });
    }
  }
  writeFileSync(file, stringify(out, { header: true, columns: Object.keys(records[0]) }));
  return out.length;
}

async function time(what: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await what();
  return performance.now() - t0;
}

const work = mkdtempSync(join(tmpdir(), 'semibench-bench-columns-'));
try {
  const config = await loadConfig(undefined, {});
  // The full release: the edits spread over its per-model meta CSVs and the prompt-based-editing CSV.
  const { release } = makeReleaseFixture(join(work, 'r'));
  const metas = execFileSync('find', [release, '-name', '*.csv'], { encoding: 'utf8' }).trim().split('\n');
  let releaseRows = 0;
  for (const file of metas) releaseRows += repeatRows(file, Math.ceil(ROWS / metas.length), ['perturbed_img_id', 'mask_id']);
  // The first Evalset version: metadata.csv inside semi_truths_10p_0.tar.bz2, after that part's images.
  const { archived: tenP, extracted } = makeEvalsetArchives(join(work, 'p'), { layout: '10p' });
  const part = join(tenP, 'semi_truths_10p_0.tar.bz2');
  const unpacked = join(work, 'p/unpacked');
  execFileSync('mkdir', ['-p', unpacked]);
  const members = execFileSync('tar', ['-tjf', part], { encoding: 'utf8' }).trim().split('\n');
  execFileSync('tar', ['-C', unpacked, '-xjf', part]);
  const metadata = members.find((m) => m.endsWith('metadata.csv'))!;
  const tenPRows = repeatRows(join(unpacked, metadata), ROWS, ['image_path']);
  const tar = execFileSync('tar', ['-C', unpacked, '-cf', '-', '--no-recursion', ...members.filter((m) => m !== metadata), metadata], { maxBuffer: 1 << 28 });
  writeFileSync(part, execFileSync('bzip2', ['-9', '-c'], { input: tar, maxBuffer: 1 << 28 }));
  void extracted;

  console.log(`machine load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${REPS} interleaved repetitions, median ms`);
  for (const [name, dir, rows] of [
    ['full release', release, releaseRows],
    [`semi_truths_10p (metadata.csv after ${members.length - 1} members of a ${(readFileSync(part).length / 1e6).toFixed(1)} MB part)`, tenP, tenPRows],
  ] as const) {
    const needs = planSlices(config.slices, await readColumns(dir)).needs;
    const runs = { index: [] as number[], separate: [] as number[], shared: [] as number[], listing: [] as number[] };
    for (let rep = 0; rep < REPS; rep++) {
      runs.index.push(await time(() => openDataSource(dir).count!()));
      runs.separate.push(await time(async () => (await readColumns(dir), await readMetadata(dir, needs))));
      runs.shared.push(
        await time(async () => {
          const source = openDataSource(dir);
          await readColumns(dir, source);
          await readMetadata(dir, needs, 'all', source);
        }),
      );
      // the columns' listing alone, on a source already indexed
      const indexed = openDataSource(dir);
      await indexed.count!();
      runs.listing.push(await time(() => readColumns(dir, indexed)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1].toFixed(0);
    console.log(
      `${name}, ${rows} rows [load ${loadavg()[0].toFixed(2)}]: index ${median(runs.index)}, columns listing on it ${median(runs.listing)}, ` +
        `readColumns + readMetadata: separate ${median(runs.separate)}, shared ${median(runs.shared)}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
