import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { writeAtomic } from '../reports/csv.js';
import type { ArchiveProblems } from './archives.js';
import type { Sample } from './sample.js';

/** The ledger's format: version 1 fingerprinted an archive's first and last MiB only. */
const LEDGER_VERSION = 2;

/** One archive as it was read: a changed size, mtime or fingerprint means its members must be read again. */
export interface ArchiveStamp {
  path: string;
  size: number;
  mtimeMs: number;
  /**
   * sha256 of the whole compressed file, hex: a change anywhere is seen, at the same size and mtime too. Hashing
   * is ~20× cheaper than bzip2 decoding (docs/data-layouts.md), and a read hashes the bytes it decodes.
   */
  fingerprint: string;
}

/** What a run folder remembers of an archive group it read to the end without a failure. */
export interface GroupRecord {
  archives: ArchiveStamp[];
  rows: number;
  /** {@link rowsDigest} of every row's image key (what predictions.csv's cache_key holds) as that read gave it. */
  digest: string;
  /** What did not match in the group (orphan members, rows without a member), replayed into run.json when it is skipped. */
  problems: ArchiveProblems;
}

/** An archive's stamp without its fingerprint. */
export type ArchiveSize = Omit<ArchiveStamp, 'fingerprint'>;

/** An archive's size and mtime now (`file` its full path, `path` as the group names it); its fingerprint comes from reading it. */
export function statArchive(file: string, path: string): ArchiveSize {
  const { size, mtimeMs } = statSync(file);
  return { path, size, mtimeMs };
}

/** sha256 of a whole file, hex (read once, in 1 MiB chunks). */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Whether an archive's size and mtime are still those of its stamp (checked once a group is read). */
export function unchangedSince(file: string, stamp: ArchiveSize): boolean {
  const now = statSync(file, { throwIfNoEntry: false });
  return now !== undefined && now.size === stamp.size && now.mtimeMs === stamp.mtimeMs;
}

/** Whether two lists name the same archives at the same size and mtime (the cheap part of comparing stamps: fingerprints need a read). */
export const sameSizes = (a: ArchiveSize[], b: ArchiveSize[]) => a.length === b.length && a.every((s, i) => s.path === b[i].path && s.size === b[i].size && s.mtimeMs === b[i].mtimeMs);

/** A digest of rows' image keys, whatever their order: sha256 over the `id<TAB>key` lines sorted by id ('' for a row without an image). */
export function rowsDigest(rows: Iterable<[id: string, key: string]>): string {
  const sorted = [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const hash = createHash('sha256');
  for (const [id, key] of sorted) hash.update(`${id}\t${key}\n`);
  return hash.digest('hex');
}

/**
 * The archive groups a run folder read to the end (OUT/archives.json; a shard's OUT/shards/archives-I-of-N.json),
 * so a resumed run skips a group without decompressing it again when its archives are unchanged (stamps) and
 * every stored row carries the image key that read gave it (digest): the stored cache_key is then still the
 * member's real sha256. A group that failed (LFS stub, truncated) is not recorded: the next run reads it again.
 */
export class ArchiveLedger {
  private constructor(
    readonly file: string,
    private readonly groups: Record<string, GroupRecord>,
  ) {}

  /** The ledger in `file`; an unreadable one (a disk that lost it half written) starts empty: groups are read again. */
  static open(file: string): ArchiveLedger {
    let groups: Record<string, GroupRecord> = {};
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      // another version's stamps are not comparable: its groups are read again, once
      if (doc?.version === LEDGER_VERSION && typeof doc.groups === 'object') groups = doc.groups;
    } catch {
      // none yet, or unreadable
    }
    return new ArchiveLedger(file, groups);
  }

  find(group: string): GroupRecord | undefined {
    return Object.hasOwn(this.groups, group) ? this.groups[group] : undefined;
  }

  record(group: string, record: GroupRecord): void {
    this.groups[group] = record;
    writeAtomic(this.file, `${JSON.stringify({ version: LEDGER_VERSION, groups: this.groups })}\n`);
  }
}

/** What a resumed run tells an archive source so it can skip the groups it has scored (DataSource.samples). */
export interface ResumeHint {
  ledger: ArchiveLedger;
  /** The image key every stored row of sample `id` was scored from, when all of them are valid for this run; else undefined. */
  storedKey(id: string): string | undefined;
  /** A group was skipped: its rows are all reused (the samples carry the current metadata; they cannot be read). */
  skipped(samples: Iterable<Sample>): void;
}
