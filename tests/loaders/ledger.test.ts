import { closeSync, openSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveLedger, rowsDigest, sameStamps, stampArchive, unchangedSince } from '../../src/loaders/ledger.js';
import { tempDir } from '../helpers.js';

describe('the archive ledger (what lets a resumed run skip a group unread)', () => {
  it('a stamp sees a changed byte in the first or last MiB even at the same size and mtime, and a changed mtime', () => {
    const file = join(tempDir(), 'a.tar.bz2');
    writeFileSync(file, Buffer.alloc(3 << 20, 7));
    const [atime, mtime] = [1_700_000_000, 1_700_000_000]; // whole seconds: restored exactly below
    utimesSync(file, atime, mtime);
    const stamp = stampArchive(file, 'a.tar.bz2');
    expect(sameStamps([stamp], [stampArchive(file, 'a.tar.bz2')])).toBe(true);
    for (const at of [10, (3 << 20) - 10]) {
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.from([at & 0xff]), 0, 1, at);
      closeSync(fd);
      utimesSync(file, atime, mtime); // the same size and mtime: only the fingerprint differs
      const now = stampArchive(file, 'a.tar.bz2');
      expect([now.size, now.mtimeMs]).toEqual([stamp.size, stamp.mtimeMs]);
      expect(sameStamps([stamp], [now])).toBe(false);
    }
    expect(unchangedSince(file, stamp)).toBe(true);
    utimesSync(file, atime, mtime + 1);
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
    writeFileSync(file, '{"version": 1, "groups": {"inpainting/ADE20K/X": ');
    expect(ArchiveLedger.open(file).find('inpainting/ADE20K/X')).toBeUndefined();
  });
});
