import { join, relative, sep } from 'node:path';
import { ARCHIVE_SUFFIX, archiveOf, ON_DISK } from '../loaders/archives.js';
import type { Bzip2Decoder } from '../loaders/bzip2.js';
import { ArchiveError, readTarBz2 } from '../loaders/tar.js';
import { DataFileError, MAX_DATA_FILE_BYTES } from '../util/fs.js';
import type { PairPlan, PairReads } from './table.js';

/** What reading the archives did, for measure.json and the summary. */
export interface ArchiveReport {
  /** The archives found (relative to the data folder). */
  archives: string[];
  cacheMiB: number;
  /**
   * Per archive of real images that pending pairs needed: in how many parts its originals were held (1: they fit
   * the cache; n: the edit archives of its pairs were read n times).
   */
  passes: Record<string, number>;
  /** Archives that could not be read (LFS stub, truncated, corrupt) and how many pending pairs lost a file to each. */
  failedArchives: { archive: string; error: string; rows: number }[];
}

/** Where a file of a pair is: an archive (its number) and the member's path below the archive's folder; or on disk. */
interface Place {
  archive: number;
  key: string;
}

interface Entry {
  pair: PairPlan;
  real: Place;
  edited: Place;
  mask?: Place;
}

/**
 * Archives read as one whose members are matched by the unit itself (the full release's groups, release-table.ts):
 * `holds` gives the key of a path (relative to the data folder) the unit holds, `match` the key a member holds.
 */
export interface MatchedUnit {
  name: string;
  files: string[];
  holds(path: string): string | undefined;
  match(member: string): string | undefined;
}

type Unit = { name: string; files: string[] } & Partial<MatchedUnit>;
type Bytes = { bytes?: Buffer; refused?: string };

/**
 * `measure` on an Evalset read from its .tar.bz2 archives (`original/images/{DS}`, `original/masks/{DS}`,
 * `inpainting/{DS}`, `p2p/{DS}`, ...), in place. A path belongs to the archive named by its longest folder prefix
 * and is matched to the member whose path ends with the rest, as ArchiveEvalsetSource does (src/loaders/archives.ts).
 * The first Evalset version's `semi_truths_10p_{k}` parts are one unit holding every path (matched by its tail).
 *
 * A pair needs files from two or three archives and tar.bz2 has no random access, so pairs are taken per archive
 * of real images: that archive is streamed and the members pending pairs need are held as file bytes (not decoded)
 * until `cacheBytes` is reached; then the masks those pairs need are read from their (small) mask archives, and
 * their edit archives are streamed, each pair handed on with its three files as its edit member comes by. The
 * originals are then dropped and the real archive's stream resumes. Memory: the cache plus the masks of one part;
 * originals over the cache cost one more read of the edit archives per part (reported as `passes`).
 *
 * A file that is not in its archive, or whose archive fails (LFS stub, truncated, corrupt), becomes a read that
 * rejects with a one-line DataFileError naming the archive (the row's measure_error; the rest of the row is still
 * measured), and the archive is listed in `report.failedArchives` with the rows it cost.
 */
export class ArchivedPairs {
  readonly report: ArchiveReport;
  /** Archives read as one (their members together hold the unit's files): one each, or every part of the first Evalset version. */
  private readonly units: Unit[];
  /** Units that say which paths they hold (else: by path prefix, or one unit of parts). */
  private readonly matched: boolean;
  private readonly byPrefix: Map<string, number>;
  private readonly failed = new Map<string, { error: string; rows: Set<string> }>();

  /**
   * `archives`: the restructured layout's archives, each holding the paths below its name; or `{ parts }`: the
   * first Evalset version's `semi_truths_10p_{k}` parts, which together hold every path (ten-percent.ts); or
   * `{ units }`: units that say which paths and members they hold (the full release's groups).
   */
  constructor(
    private readonly root: string,
    archives: string[] | { parts: string[] } | { units: MatchedUnit[] },
    private readonly cacheBytes: number,
    private readonly decoder?: Bzip2Decoder,
  ) {
    this.matched = 'units' in archives;
    if ('units' in archives) this.units = archives.units;
    else this.units = Array.isArray(archives) ? archives.map((a) => ({ name: a, files: [a] })) : [{ name: archives.parts.join(' + '), files: archives.parts }];
    const list = this.units.flatMap((u) => u.files);
    this.byPrefix = Array.isArray(archives) ? new Map(archives.map((a, i) => [a.slice(0, -ARCHIVE_SUFFIX.length), i])) : new Map();
    this.report = { archives: list, cacheMiB: cacheBytes / 2 ** 20, passes: {}, failedArchives: [] };
  }

  /** The pairs, each with `read` set for its archived files; pairs with nothing archived pass through first. */
  async *stream(pairs: AsyncIterable<PairPlan>): AsyncGenerator<PairPlan> {
    const byReal = new Map<number, Entry[]>();
    for await (const pair of pairs) {
      const entry = pair.blocked ? undefined : this.entry(pair);
      if (!entry) {
        yield pair;
        continue;
      }
      const list = byReal.get(entry.real.archive) ?? [];
      list.push(entry);
      byReal.set(entry.real.archive, list);
    }
    for (const archive of [...byReal.keys()].sort((a, b) => a - b)) {
      const entries = byReal.get(archive)!;
      if (archive === ON_DISK) yield* this.withEdits(entries, () => undefined);
      else yield* this.byRealArchive(archive, entries);
    }
    this.report.failedArchives = [...this.failed].map(([archive, f]) => ({ archive, error: f.error, rows: f.rows.size }));
  }

  private entry(pair: PairPlan): Entry | undefined {
    const real = this.place(pair.realPath!);
    const edited = this.place(pair.editedPath!);
    const mask = pair.maskPath === undefined ? undefined : this.place(pair.maskPath);
    if (real.archive === ON_DISK && edited.archive === ON_DISK && (mask?.archive ?? ON_DISK) === ON_DISK) return undefined;
    return { pair, real, edited, mask };
  }

  private place(path: string): Place {
    const rel = relative(this.root, path).split(sep).join('/');
    if (rel.startsWith('..')) return { archive: ON_DISK, key: rel };
    if (this.matched) {
      for (const [archive, unit] of this.units.entries()) {
        const key = unit.holds!(rel);
        if (key !== undefined) return { archive, key };
      }
      return { archive: ON_DISK, key: rel };
    }
    if (this.byPrefix.size === 0) return { archive: 0, key: rel };
    const archive = archiveOf(rel, this.byPrefix);
    return { archive, key: archive === ON_DISK ? rel : rel.slice(this.units[archive].name.length - ARCHIVE_SUFFIX.length + 1) };
  }

  /**
   * The members of a unit, part after part. A part that fails (LFS stub, truncated, corrupt) ends its own members;
   * the next part is still read. Returns the first failure, if any.
   */
  private async *members(unit: number, failures: ArchiveError[]): AsyncGenerator<Bytes & { name: string }> {
    for (const file of this.units[unit].files) {
      try {
        yield* readTarBz2(join(this.root, file), MAX_DATA_FILE_BYTES, this.decoder);
      } catch (error) {
        if (!(error instanceof ArchiveError)) throw error;
        failures.push(error);
      }
    }
  }

  /** The unit's members that are keys of `wanted`, each key once (the first member wins), noted in `seen`. */
  private async *wantedMembers(unit: number, wanted: Map<string, unknown>, seen: Set<string>, failures: ArchiveError[]): AsyncGenerator<[string, Bytes]> {
    for await (const member of this.members(unit, failures)) {
      const key = this.memberKey(unit, member.name, wanted);
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      yield [key, member];
    }
  }

  /** Streams one archive of real images, holding the members its pairs need up to the cache size at a time. */
  private async *byRealArchive(archive: number, entries: Entry[]): AsyncGenerator<PairPlan> {
    const wanted = groupBy(entries, (e) => e.real.key);
    let held = new Map<string, Bytes>();
    let heldBytes = 0;
    let passes = 0;
    const flush = async function* (this: ArchivedPairs): AsyncGenerator<PairPlan> {
      const part = held;
      held = new Map();
      heldBytes = 0;
      passes++;
      const chunk = [...part.keys()].flatMap((key) => wanted.get(key)!);
      yield* this.withEdits(chunk, (e) => this.reader(archive, e.real.key, part.get(e.real.key)!));
    }.bind(this);
    const seen = new Set<string>();
    const failures: ArchiveError[] = [];
    for await (const [key, member] of this.wantedMembers(archive, wanted, seen, failures)) {
      held.set(key, member);
      heldBytes += member.bytes?.length ?? 0;
      if (heldBytes >= this.cacheBytes) yield* flush();
    }
    if (held.size > 0) yield* flush();
    this.report.passes[this.units[archive].name] = passes;
    // Pairs whose real image was not found: still measured (the edited image's BRISQUE), the real read fails.
    const lost = entries.filter((e) => !seen.has(e.real.key));
    if (lost.length > 0) yield* this.withEdits(lost, (e) => this.absent(e.pair, archive, e.real.key, failures[0]));
  }

  /**
   * Hands on pairs whose real image is known (`realRead`; undefined: on disk): masks read from their archives
   * first, then edits on disk, then each edit archive streamed, a pair going out as its member comes by.
   */
  private async *withEdits(entries: Entry[], realRead: (e: Entry) => (() => Promise<Buffer>) | undefined): AsyncGenerator<PairPlan> {
    const masks = await this.masks(entries);
    const make = (e: Entry, edited: (() => Promise<Buffer>) | undefined): PairPlan => {
      const read: PairReads = {};
      const real = realRead(e);
      if (real) read.real = real;
      if (edited) read.edited = edited;
      if (e.mask && e.mask.archive !== ON_DISK) read.mask = masks(e);
      return { ...e.pair, read };
    };
    const byEditArchive = groupBy(entries, (e) => String(e.edited.archive));
    for (const e of byEditArchive.get(String(ON_DISK)) ?? []) yield make(e, undefined);
    const archives = [...byEditArchive.keys()].map(Number).filter((n) => n !== ON_DISK).sort((a, b) => a - b);
    for (const archive of archives) {
      const wanted = groupBy(byEditArchive.get(String(archive))!, (e) => e.edited.key);
      const seen = new Set<string>();
      const failures: ArchiveError[] = [];
      for await (const [key, member] of this.wantedMembers(archive, wanted, seen, failures)) {
        for (const e of wanted.get(key)!) yield make(e, this.reader(archive, key, member));
      }
      for (const [key, list] of wanted) {
        if (!seen.has(key)) for (const e of list) yield make(e, this.absent(e.pair, archive, key, failures[0]));
      }
    }
  }

  /** The masks these pairs need from mask archives: each archive streamed once, only the needed members kept. */
  private async masks(entries: Entry[]): Promise<(e: Entry) => () => Promise<Buffer>> {
    const byArchive = groupBy(
      entries.filter((e) => e.mask && e.mask.archive !== ON_DISK),
      (e) => String(e.mask!.archive),
    );
    const found = new Map<string, Bytes>();
    const failures = new Map<number, ArchiveError>();
    for (const [number, list] of byArchive) {
      const archive = Number(number);
      const wanted = groupBy(list, (e) => e.mask!.key);
      const failed: ArchiveError[] = [];
      for await (const [key, member] of this.wantedMembers(archive, wanted, new Set(), failed)) found.set(`${archive}\t${key}`, member);
      if (failed.length > 0) failures.set(archive, failed[0]);
    }
    return (e) => {
      const { archive, key } = e.mask!;
      const member = found.get(`${archive}\t${key}`);
      return member ? this.reader(archive, key, member) : this.absent(e.pair, archive, key, failures.get(archive));
    };
  }

  /** The key of `wanted` a member of the unit is: the unit's own match, else the longest tail of its path. */
  private memberKey(unit: number, name: string, wanted: Map<string, unknown>): string | undefined {
    const { match } = this.units[unit];
    if (!match) return tailKey(name, wanted);
    const key = match(name);
    return key !== undefined && wanted.has(key) ? key : undefined;
  }

  /** A read of a member that was found (or refused for its size). */
  private reader(archive: number, key: string, member: Bytes): () => Promise<Buffer> {
    const { bytes, refused } = member;
    if (bytes) return () => Promise.resolve(bytes);
    const { name } = this.units[archive];
    const path = `${join(this.root, name)}:${key}`;
    return () => Promise.reject(new DataFileError(path, `${refused} (in ${name})`, 'refused'));
  }

  /** A read of a member that was not found: not in the archive, or the archive failed before it. */
  private absent(pair: PairPlan, archive: number, key: string, failure: ArchiveError | undefined): () => Promise<Buffer> {
    const { name } = this.units[archive];
    // A unit of parts: the failed part is named (a part that failed may have held the file).
    const failedName = failure ? relative(this.root, failure.file).split(sep).join('/') : name;
    if (failure) {
      const failed = this.failed.get(failedName) ?? { error: failure.message, rows: new Set<string>() };
      failed.rows.add(pair.key);
      this.failed.set(failedName, failed);
    }
    const reason = failure ? `${failedName}: ${failure.reason}` : `not in ${name}`;
    const path = `${join(this.root, failedName)}:${key}`;
    return () => Promise.reject(new DataFileError(path, reason, 'missing'));
  }
}

/** The key of `wanted` a member is: the longest tail of its path (members may carry a leading folder or `./`). */
function tailKey(name: string, wanted: Map<string, unknown>): string | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    const key = parts.slice(i).join('/');
    if (wanted.has(key)) return key;
  }
  return undefined;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
