import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveProblems } from '../../src/loaders/archives.js';
import { decodeImage } from '../../src/image/decode.js';
import { ArchiveEvalsetSource, EvalsetSource, listSamples, openDataSource, sampleContext, TenPercentEvalsetSource } from '../../src/loaders/index.js';
import { DAMAGE, makeEvalsetArchives } from '../../tools/make-evalset-archives.js';
import { collectSamples, predictionsWithoutTiming, startCli, tempDir } from '../helpers.js';

/**
 * The first Evalset version (tools/make-evalset-archives.ts --layout 10p): semi_truths_10p_{0,1,2}.tar.bz2 with
 * the set's folders under `semi_truths_10p/`, metadata.csv inside _0 or beside the parts.
 */
let inside: string;
let beside: string;
let damaged: string;
let extracted: string;
beforeAll(() => {
  ({ archived: inside, extracted } = makeEvalsetArchives(tempDir(), { layout: '10p' }));
  ({ archived: beside } = makeEvalsetArchives(tempDir(), { layout: '10p', metadataBeside: true }));
  ({ archived: damaged } = makeEvalsetArchives(tempDir(), { layout: '10p', damaged: true }));
});

const rows = parse(readFileSync('fixtures/evalset/metadata.csv'), { columns: true }) as Record<string, string>[];

describe('the first Evalset version (semi_truths_10p_{k}.tar.bz2) read in place', () => {
  it('is detected, with its metadata inside a part or beside the parts, and gives the samples of the extracted files', async () => {
    const fromFiles = await collectSamples(openDataSource(extracted));
    expect(openDataSource(extracted)).toBeInstanceOf(EvalsetSource);
    for (const dir of [inside, beside]) {
      const source = openDataSource(dir) as TenPercentEvalsetSource;
      expect(source).toBeInstanceOf(TenPercentEvalsetSource);
      expect(source.parts).toEqual(['semi_truths_10p_0.tar.bz2', 'semi_truths_10p_1.tar.bz2', 'semi_truths_10p_2.tar.bz2']);
      expect(await source.count()).toBe(rows.length);
      expect(source.metadataFrom).toBe(dir === inside ? 'semi_truths_10p_0.tar.bz2:semi_truths_10p/metadata.csv' : 'metadata.csv');
      const got = await collectSamples(source);
      expect([...got.keys()].sort()).toEqual(rows.map((r) => r.image_path).sort());
      for (const [id, { sample, bytes }] of got) {
        const file = fromFiles.get(id)!;
        expect(bytes!.equals(file.bytes!), id).toBe(true);
        expect([sample.label, sample.pairId, sample.meta], id).toEqual([file.sample.label, file.sample.pairId, file.sample.meta]);
      }
      const { orphanMembers, missingRows, failedArchives } = source.problems;
      // Masks and the metadata member hold no row but are known: not orphans.
      expect(orphanMembers).toEqual([]);
      expect([missingRows, failedArchives]).toEqual([[], []]);
      // Listing reads the metadata only.
      const listed: string[] = [];
      for await (const s of listSamples(source)) listed.push(s.id);
      expect(listed.sort()).toEqual([...got.keys()].sort());
    }
  });

  it('masks come from the parts, decoded as the files are', async () => {
    const got = await collectSamples(openDataSource(inside));
    let checked = 0;
    for (const { sample } of got.values()) {
      const context = sampleContext(sample);
      if (sample.meta.method !== 'inpainting') {
        expect(context.mask, sample.id).toBeUndefined();
        continue;
      }
      const mask = await context.mask!();
      const expected = await decodeImage(readFileSync(join('fixtures/evalset', sample.meta.mask_path)));
      expect(Buffer.from(mask.data).equals(Buffer.from(expected.data)), sample.id).toBe(true);
      checked++;
    }
    expect(checked).toBe(rows.filter((r) => r.method === 'inpainting').length);
  });

  it('a truncated part: its rows are errors naming it, the others are read', async () => {
    const source = openDataSource(damaged);
    const got = await collectSamples(source);
    expect(got.size).toBe(rows.length);
    const inPart = rows.filter((r) => r.image_path.startsWith('p2p/')).map((r) => r.image_path);
    const lost = [...got].filter(([, g]) => g.error).map(([id]) => id);
    expect(lost.length).toBeGreaterThan(0);
    for (const id of lost) {
      expect(inPart).toContain(id);
      expect(got.get(id)!.error).toMatch(new RegExp(`^truncated or corrupt \\(.*\\): ${resolve(damaged, DAMAGE['10p'].truncated)}:`));
    }
    const { failedArchives } = source.problems as ArchiveProblems;
    expect(failedArchives.map((f) => [f.archive, f.rows])).toEqual([[DAMAGE['10p'].truncated, lost.length]]);
  });

  it('beside the restructured archives (a clone at HF commit 2bca76f holds both), the parts are ignored', async () => {
    const { archived } = makeEvalsetArchives(tempDir());
    copyFileSync(join(inside, 'semi_truths_10p_1.tar.bz2'), join(archived, 'semi_truths_10p_1.tar.bz2'));
    const source = openDataSource(archived) as ArchiveEvalsetSource;
    expect(source).toBeInstanceOf(ArchiveEvalsetSource);
    expect(source.archives).not.toContain('semi_truths_10p_1.tar.bz2');
    expect(source.archives).toContain('p2p/ADE20K.tar.bz2');
  });

  it('a folder of parts without any metadata.csv is a one-line error', async () => {
    const { archived } = makeEvalsetArchives(tempDir(), { layout: '10p', metadataBeside: true });
    const { rmSync } = await import('node:fs');
    rmSync(join(archived, 'metadata.csv'));
    await expect(openDataSource(archived).count!()).rejects.toThrow(/^No metadata\.csv beside the semi_truths_10p_0\.tar\.bz2, semi_truths_10p_1\.tar\.bz2, semi_truths_10p_2\.tar\.bz2 parts in .*, nor inside them: /);
  });
});

describe('semibench run on the first Evalset version', () => {
  it('equals a run on the same images extracted', async () => {
    const run = (data: string, out: string) => startCli(['run', '--detector', 'npr-residual', 'spectral-hf', '--data', data, '--out', out, '--batch-size', '2']).exit;
    const [a, b] = [join(tempDir(), 'run'), join(tempDir(), 'run')];
    const [fromParts, fromFiles] = await Promise.all([run(inside, a), run(extracted, b)]);
    expect(fromParts.code, fromParts.stderr).toBe(0);
    expect(fromFiles.code, fromFiles.stderr).toBe(0);
    // Archive order is not metadata order: the same rows, and the same reports.
    const [header, ...lines] = predictionsWithoutTiming(a);
    const [header2, ...lines2] = predictionsWithoutTiming(b);
    expect(header).toBe(header2);
    expect(lines.length).toBe(2 * rows.length);
    expect(lines.sort()).toEqual(lines2.sort());
    // Every slice, not only those of the core columns: the metadata inside a part names the same columns.
    expect(readdirSync(join(a, 'slices')).sort()).toEqual(readdirSync(join(b, 'slices')).sort());
    expect(readdirSync(join(a, 'slices'))).toContain('method_x_model.csv');
    for (const file of readdirSync(join(b, 'slices'))) expect(readFileSync(join(a, 'slices', file), 'utf8'), file).toBe(readFileSync(join(b, 'slices', file), 'utf8'));

    // `semibench report` lists the samples for their columns and for the table from one index: the part holding
    // metadata.csv is decompressed once, not twice (a real part is GBs). A bzip2 first on PATH logs each archive it decodes.
    const bin = tempDir();
    const log = join(bin, 'decoded.log');
    const real = execFileSync('sh', ['-c', 'command -v bzip2'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'bzip2'), `#!/bin/sh\ntmp=$(mktemp)\ncat > "$tmp"\nsha256sum "$tmp" | cut -c1-64 >> '${log}'\n'${real}' "$@" < "$tmp"\nrc=$?\nrm -f "$tmp"\nexit $rc\n`);
    chmodSync(join(bin, 'bzip2'), 0o755);
    writeFileSync(log, '');
    const report = await startCli(['report', a], { env: { PATH: `${bin}:${process.env.PATH}`, SEMIBENCH_BZIP2: 'bzip2' } }).exit;
    expect(report.code, report.stderr).toBe(0);
    const metadataPart = createHash('sha256').update(readFileSync(join(inside, 'semi_truths_10p_0.tar.bz2'))).digest('hex');
    const decoded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // the parts smaller than it are looked in first (see TenPercentEvalsetSource): each one once
    expect(decoded).toContain(metadataPart);
    expect(decoded.length).toBe(new Set(decoded).size);
    for (const file of readdirSync(join(b, 'slices'))) expect(readFileSync(join(a, 'slices', file), 'utf8'), file).toBe(readFileSync(join(b, 'slices', file), 'utf8'));
  }, 300_000);
});
