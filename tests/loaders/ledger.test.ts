import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { ArchiveEvalsetSource, imageKey } from '../../src/loaders/index.js';
import { availableDecoders } from '../../src/loaders/bzip2.js';
import { ArchiveLedger, rowsDigest, statArchive, unchangedSince, type ResumeHint } from '../../src/loaders/ledger.js';
import { tempDir } from '../helpers.js';

describe('the archive ledger (what lets a resumed run skip a group unread)', () => {
  it('a group whose archive changed only in its middle (same size and mtime) is read again; the fingerprint is the sha256 of the whole file', async () => {
    // The bundled ADE20K edits in inpainting/ADE20K.tar.bz2, padded with 3 MiB of random bytes: the change below is
    // neither in the first nor in the last MiB of the archive.
    const root = tempDir();
    const rows = (parse(readFileSync('fixtures/evalset/metadata.csv'), { columns: true }) as Record<string, string>[]).filter((r) => r.image_path.startsWith('inpainting/ADE20K/'));
    writeFileSync(join(root, 'metadata.csv'), stringify(rows, { header: true, columns: Object.keys(rows[0]) }));
    const stage = tempDir();
    cpSync('fixtures/evalset/inpainting/ADE20K', join(stage, 'ADE20K'), { recursive: true });
    writeFileSync(join(stage, 'ADE20K', 'padding.bin'), randomBytes(3 << 20));
    mkdirSync(join(root, 'inpainting'));
    const archive = join(root, 'inpainting/ADE20K.tar.bz2');
    execFileSync('tar', ['-C', stage, '-cjf', archive, 'ADE20K']);
    const [atime, mtime] = [1_700_000_000, 1_700_000_000]; // whole seconds: restored exactly below
    utimesSync(archive, atime, mtime);

    for (const decoder of availableDecoders()) {
      const ledger = ArchiveLedger.open(join(tempDir(), 'archives.json'));
      const keys = new Map<string, string>();
      let skipped = 0;
      const hint: ResumeHint = { ledger, storedKey: (id) => keys.get(id), skipped: (samples) => void (skipped += [...samples].length) };
      const read = async () => {
        skipped = 0;
        const source = new ArchiveEvalsetSource(root, undefined, decoder);
        let read = 0;
        for await (const s of source.samples(hint)) {
          const bytes = await s.read!().catch(() => undefined);
          if (bytes) keys.set(s.id, imageKey(bytes)), read++;
        }
        return { read, problems: source.problems };
      };
      expect((await read()).read, decoder).toBe(rows.length);
      expect(ledger.find('inpainting/ADE20K.tar.bz2')!.archives[0].fingerprint).toBe(createHash('sha256').update(readFileSync(archive)).digest('hex'));
      expect(await read()).toEqual({ read: 0, problems: { orphanMembers: [{ archive: 'inpainting/ADE20K.tar.bz2', member: 'ADE20K/padding.bin' }], missingRows: [], failedArchives: [] } });
      expect(skipped).toBe(rows.length);

      const bytes = readFileSync(archive);
      const middle = bytes.length >> 1;
      expect(Math.min(middle, bytes.length - middle)).toBeGreaterThan(1 << 20);
      const fd = openSync(archive, 'r+');
      writeSync(fd, Buffer.from([bytes[middle] ^ 0xff]), 0, 1, middle);
      closeSync(fd);
      utimesSync(archive, atime, mtime);
      expect([statSync(archive).size, statSync(archive).mtimeMs]).toEqual([bytes.length, mtime * 1000]);
      // Read again (not skipped): the changed block is corrupt, so the archive fails and nothing is recorded.
      const again = await read();
      expect(skipped, decoder).toBe(0);
      expect(again.problems.failedArchives.map((f) => f.archive)).toEqual(['inpainting/ADE20K.tar.bz2']);
      writeFileSync(archive, bytes); // restored for the next decoder
      utimesSync(archive, atime, mtime);
    }
  }, 120_000);

  it('an archive whose mtime changed is not unchanged', () => {
    const file = join(tempDir(), 'a.tar.bz2');
    writeFileSync(file, Buffer.alloc(1000, 7));
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const stamp = statArchive(file, 'a.tar.bz2');
    expect(unchangedSince(file, stamp)).toBe(true);
    utimesSync(file, 1_700_000_000, 1_700_000_001);
    expect(unchangedSince(file, stamp)).toBe(false);
  });

  it('the rows digest ignores row order but not a key; the ledger survives a reopen, and an unreadable one starts empty', () => {
    expect(rowsDigest([['b', 'k2'], ['a', 'k1']])).toBe(rowsDigest([['a', 'k1'], ['b', 'k2']]));
    expect(rowsDigest([['a', 'k1'], ['b', '']])).not.toBe(rowsDigest([['a', 'k1'], ['b', 'k2']]));
    const file = join(tempDir(), 'archives.json');
    const record = { archives: [], rows: 2, digest: rowsDigest([['a', 'k1']]), problems: { orphanMembers: [], missingRows: [], failedArchives: [] } };
    ArchiveLedger.open(file).record('inpainting/ADE20K/X', record);
    expect(ArchiveLedger.open(file).find('inpainting/ADE20K/X')).toEqual(record);
    expect(ArchiveLedger.open(file).find('constructor')).toBeUndefined();
    writeFileSync(file, '{"version": 2, "groups": {"inpainting/ADE20K/X": ');
    expect(ArchiveLedger.open(file).find('inpainting/ADE20K/X')).toBeUndefined();
  });
});
