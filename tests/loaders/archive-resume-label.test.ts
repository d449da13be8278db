import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { makeEvalsetArchives } from '../../tools/make-evalset-archives.js';
import { startCli, tempDir } from '../helpers.js';

type Row = Record<string, string>;

describe('a resumed run over archives takes the current labels', () => {
  it('rows of a group skipped unread (nothing decompressed) take a label changed in metadata.csv', async () => {
    const { archived } = makeEvalsetArchives(tempDir());
    const out = join(tempDir(), 'run');
    const run = async () => {
      const done = await startCli(['run', '--detector', 'npr-residual', '--data', archived, '--out', out]).exit;
      expect(done.code, done.stderr).toBe(0);
      return { stdout: done.stdout, rows: parse(readFileSync(join(out, 'predictions.csv')), { columns: true }) as Row[] };
    };
    const first = await run();

    const metadataFile = join(archived, 'metadata.csv');
    const metadata = parse(readFileSync(metadataFile), { columns: true }) as Row[];
    const flipped = metadata.find((r) => r.label === 'fake' || r.label === '1')!;
    flipped.label = flipped.label === 'fake' ? 'real' : '0';
    writeFileSync(metadataFile, stringify(metadata, { header: true, columns: Object.keys(metadata[0]) }));

    const again = await run();
    expect(again.stdout).toMatch(new RegExp(`${first.rows.length} reused`));
    expect(again.stdout).not.toMatch(/rescored/);
    const label = (rows: Row[], id: string) => rows.find((r) => r.sample_id === id)!.label;
    expect(label(first.rows, flipped.image_path)).toBe('1');
    expect(label(again.rows, flipped.image_path)).toBe('0');
    const others = (rows: Row[]) => rows.filter((r) => r.sample_id !== flipped.image_path).map((r) => [r.sample_id, r.label, r.score]);
    expect(others(again.rows)).toEqual(others(first.rows));
  }, 300_000);
});
