import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { UserError } from '../util/errors.js';
import { DataFileError, MAX_DATA_FILE_BYTES, readDataFile, resolveDataPath } from '../util/fs.js';
import type { Bzip2Decoder } from './bzip2.js';
import { CsvRecordReader, fieldText, scanCsv } from './csv.js';
import { checkColumns, parseLabel } from './evalset.js';
import { pairIdOf } from './evalset.js';
import { walkImages } from './folder.js';
import { imageKey, type DataSource, type Sample } from './sample.js';
import { fileSha256, rowsDigest, sameSizes, statArchive, unchangedSince, type ArchiveSize, type ResumeHint } from './ledger.js';
import { ArchiveError, readTarBz2 } from './tar.js';

export const ARCHIVE_SUFFIX = '.tar.bz2';
/** How deep below the data folder archives are looked for: `inpainting/{DS}/{Model}/x.tar.bz2` is at depth 3, `prompt-based-editing/{LM}/{DS}/{Model}/x.tar.bz2` at 4. */
const ARCHIVE_DEPTH = 4;

/**
 * The `.tar.bz2` archives below a data folder (at most {@link ARCHIVE_DEPTH} folders down), as paths relative to
 * it, sorted. An archive with an extracted folder of the same name beside it (`p2p/ADE20K/` next to
 * `p2p/ADE20K.tar.bz2`) is left out: the extracted files are read instead.
 */
export function findArchives(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < ARCHIVE_DEPTH) walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith(ARCHIVE_SUFFIX) && !isFolder(path.slice(0, -ARCHIVE_SUFFIX.length), names)) {
        found.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  walk(root, 0);
  return found.sort();
}

function isFolder(path: string, siblings: Set<string>): boolean {
  const name = path.slice(path.lastIndexOf(sep) + 1);
  return siblings.has(name) && statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** An archive member with no metadata row. */
export interface OrphanMember {
  archive: string;
  member: string;
}

/** A metadata row whose image was not read from its archive, and why. */
export interface MissingRow {
  id: string;
  archive: string;
  reason: string;
}

/**
 * What reading the archives found beyond the samples, for run.json: members no row names, rows whose member
 * is absent or unreadable, and archives that failed (LFS stub, truncated, corrupt) with how many rows they held.
 */
export interface ArchiveProblems {
  orphanMembers: OrphanMember[];
  missingRows: MissingRow[];
  failedArchives: { archive: string; error: string; rows: number }[];
}

/**
 * Problem lists in one order whatever order the groups were read in (by archive, then member or row id): the
 * shards of a run each find the problems of their own groups, and `semibench merge` joins them into the list a
 * single process gives.
 */
export function joinProblems(parts: ArchiveProblems[]): ArchiveProblems {
  const by = <T>(...keys: ((x: T) => string)[]) => (a: T, b: T) => {
    for (const key of keys) {
      const [x, y] = [key(a), key(b)];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  return {
    orphanMembers: parts.flatMap((p) => p.orphanMembers).sort(by((o) => o.archive, (o) => o.member)),
    missingRows: parts.flatMap((p) => p.missingRows).sort(by((m) => m.archive, (m) => m.id)),
    failedArchives: parts.flatMap((p) => p.failedArchives).sort(by((f) => f.archive)),
  };
}

/**
 * What a run prints of its archive problems (the full lists are in run.json): the archives that could not be
 * read, each with why and how many rows it lost, then how many rows had no member and members no row.
 */
export function problemLines(problems: ArchiveProblems, shown = 5): string[] {
  const { failedArchives: failed, missingRows, orphanMembers } = problems;
  const lines: string[] = [];
  // A row a failed archive lost is a missing row named after that archive.
  const failedFiles = new Set(failed.map((f) => f.archive));
  const unmatched = missingRows.filter((m) => !failedFiles.has(m.archive)).length;
  if (failed.length > 0) {
    const lost = missingRows.length - unmatched;
    lines.push(`  ${failed.length} archive${failed.length > 1 ? 's' : ''} not read whole (${lost} row${lost === 1 ? '' : 's'} lost: error rows):`);
    for (const f of failed.slice(0, shown)) lines.push(`    ${f.error} (${f.rows} row${f.rows === 1 ? '' : 's'})`);
    if (failed.length > shown) lines.push(`    … ${failed.length - shown} more`);
  }
  if (unmatched > 0 || orphanMembers.length > 0) lines.push(`  ${unmatched} row${unmatched === 1 ? '' : 's'} without an image, ${orphanMembers.length} archive member${orphanMembers.length === 1 ? '' : 's'} without a row`);
  if (lines.length > 0) lines.push('  (every one in run.json, data.problems)');
  return lines;
}

/** One metadata row: where it lies in metadata.csv (its text is read again when its sample is made), and its archive. */
export interface IndexedRow {
  offset: number;
  bytes: number;
  archive: number;
}

/** Rows in no archive (read from disk) have this archive number. */
export const ON_DISK = -1;

/**
 * Archives read as one: together their members hold the rows of `expected`. An Evalset archive is a group of one;
 * the full release splits one dataset × model into parts `_0` … `_k`, and a row's member may be in any of them, so
 * a row is known to be missing only once every part was read. `--shard` assigns whole groups (shardKey = key).
 */
export interface ArchiveGroup {
  /** The group's name (a path relative to the data folder) and its shard key. */
  key: string;
  /** Its archives, relative to the data folder, in reading order. None: its files are read from `folder`. */
  archives: string[];
  /** Where the group's extracted files are, relative to the data folder (walked in path order) when no archive is. */
  folder?: string;
  /** The group's rows in reading order: the name a member is matched on (also how a missing member is named), and the row id. */
  expected: GroupRows;
  /** The row id a member (or extracted file, by its path below `folder`) holds, if any. */
  match(name: string): string | undefined;
  /** Members that are known but hold no row (masks, metadata packed with the images): not listed as orphans. */
  known?(name: string): boolean;
}

/** A group's rows as [name, id] pairs (a Map of name → id is one; the full release keeps them more compactly). */
export interface GroupRows extends Iterable<[name: string, id: string]> {
  readonly size: number;
}

/** A row's mask, when a mask group holds it: the group and the key `match` gives its member. */
export interface MaskRef {
  group: ArchiveGroup;
  key: string;
}

/** What a grouped source knows once its metadata is indexed. */
export interface GroupIndex {
  header?: string[];
  groups: ArchiveGroup[];
  /** Rows in no group, read from disk at their path (Evalset rows under no archive), in metadata order. */
  onDisk: string[];
  count: number;
  /** The sample of a row, its bytes from `read`. */
  sample(id: string, path: string, read: () => Promise<Buffer>): Sample;
  /** Where the row's mask is, when it is in a mask group (archives or extracted). */
  mask?(sample: Sample): MaskRef | undefined;
}

/**
 * A source whose images are in groups of archives (or their extracted folders), streamed in place; the shared
 * part of {@link ArchiveEvalsetSource} and FullReleaseSource (release.ts). Subclasses index their metadata.
 *
 * tar.bz2 has no random access, so samples come in archive order: metadata is indexed first, then each group
 * is streamed and every member with a row is yielded with its bytes (`read`), one at a time. After a group, its
 * rows without a member follow as samples whose read fails, so every row becomes a prediction row; a stub,
 * truncated or corrupt archive turns its unread rows into such error rows and the other archives still run.
 * `problems` lists what did not match once `samples()` has been read to the end.
 */
export abstract class GroupedArchiveSource implements DataSource {
  abstract readonly root: string;
  problems: ArchiveProblems = { orphanMembers: [], missingRows: [], failedArchives: [] };
  private indexed?: Promise<GroupIndex>;

  constructor(protected readonly decoder?: Bzip2Decoder) {}

  /** Reads the metadata once. */
  protected abstract buildIndex(): Promise<GroupIndex>;

  protected index(): Promise<GroupIndex> {
    this.indexed ??= this.buildIndex();
    return this.indexed;
  }

  /** The number of samples (one per metadata row), without reading any archive. */
  async count(keep?: (key: string) => boolean): Promise<number> {
    const index = await this.index();
    if (!keep) return index.count;
    let n = 0;
    for await (const _ of this.rows(keep)) n++;
    return n;
  }

  async *rows(keep?: (key: string) => boolean): AsyncGenerator<Sample> {
    const index = await this.index();
    const listing = () => Promise.reject(new Error('a listed sample has no bytes: read samples()'));
    for (const group of index.groups) {
      if (keep && !keep(group.key)) continue;
      for (const [, id] of group.expected) yield { ...index.sample(id, join(this.root, id), listing), shardKey: group.key };
    }
    for (const id of index.onDisk) {
      const sample = index.sample(id, resolveDataPath(this.root, id), listing);
      if (!keep || keep(sample.pairId)) yield sample;
    }
  }

  /** `resume`: what lets this and later runs skip the groups they have scored (ledger.ts); `keep`: see select(). */
  async *samples(resume?: ResumeHint, keep?: (key: string) => boolean): AsyncGenerator<Sample> {
    const index = await this.index();
    const problems: ArchiveProblems = { orphanMembers: [], missingRows: [], failedArchives: [] };
    const masks = new MaskCache(this.root, this.decoder);
    const withMask = (sample: Sample): Sample => {
      const ref = index.mask?.(sample);
      return ref ? { ...sample, mask: () => masks.read(ref) } : sample;
    };
    for (const group of index.groups) {
      if (keep && !keep(group.key)) continue;
      for await (const sample of streamGroup(this.root, group, index, problems, this.decoder, resume)) yield withMask({ ...sample, shardKey: group.key });
      this.problems = problems;
    }
    for (const id of index.onDisk) {
      const path = resolveDataPath(this.root, id);
      const sample = index.sample(id, path, () => readDataFile(this.root, path));
      if (!keep || keep(sample.pairId)) yield withMask(sample);
    }
    this.problems = joinProblems([problems]);
  }

  /** This source restricted to the groups (and on-disk rows, by pair id) whose shard key `keep` accepts. */
  select(keep: (shardKey: string) => boolean): DataSource {
    const self = this;
    return {
      root: this.root,
      count: () => this.count(keep),
      rows: () => this.rows(keep),
      samples: (resume) => this.samples(resume, keep),
      get problems() {
        return self.problems;
      },
    };
  }
}

/**
 * One group's samples: members (or extracted files) with a row, then its rows nothing held. With `resume`, a
 * group of archives whose rows are all scored from its unchanged archives is skipped (nothing decompressed), and
 * one read to its end without a failure is recorded in the ledger (ledger.ts).
 */
async function* streamGroup(root: string, group: ArchiveGroup, index: GroupIndex, problems: ArchiveProblems, decoder?: Bzip2Decoder, resume?: ResumeHint): AsyncGenerator<Sample> {
  if (group.expected.size === 0) return;
  const stamps = resume && group.archives.length > 0 ? sizesOf(root, group) : undefined;
  if (stamps && (await skippable(root, group, stamps, resume!))) {
    const { orphanMembers, missingRows, failedArchives } = resume!.ledger.find(group.key)!.problems;
    problems.orphanMembers.push(...orphanMembers);
    problems.missingRows.push(...missingRows);
    problems.failedArchives.push(...failedArchives);
    resume!.skipped(unreadSamples(root, group, index));
    return;
  }
  const before = { orphanMembers: problems.orphanMembers.length, missingRows: problems.missingRows.length, failedArchives: problems.failedArchives.length };
  /** The image key of each row read (for the ledger). */
  const keys = new Map<string, string>();
  const seen = new Set<string>();
  const failures: ArchiveError[] = [];
  const claim = (name: string, where: string): string | undefined => {
    const id = group.match(name);
    if (id === undefined && group.known?.(name)) return undefined;
    if (id === undefined || seen.has(id)) {
      problems.orphanMembers.push({ archive: where, member: name });
      return undefined;
    }
    seen.add(id);
    return id;
  };
  /** The sha256 of each archive read whole, hashed as it was decoded (for the ledger). */
  const fingerprints: (string | undefined)[] = [];
  for (const [i, archive] of group.archives.entries()) {
    const file = join(root, archive);
    const hash = stamps ? createHash('sha256') : undefined;
    let hashed = 0;
    const onInput = hash && ((chunk: Buffer) => (hash.update(chunk), (hashed += chunk.length)));
    try {
      for await (const member of readTarBz2(file, MAX_DATA_FILE_BYTES, decoder, onInput)) {
        const id = claim(member.name, archive);
        if (id === undefined) continue;
        const path = `${file}:${member.name}`;
        const { bytes, refused } = member;
        if (refused) problems.missingRows.push({ id, archive, reason: refused });
        if (stamps && bytes) keys.set(id, imageKey(bytes));
        yield index.sample(id, path, () => (bytes ? Promise.resolve(bytes) : Promise.reject(new DataFileError(path, refused!, 'refused'))));
      }
      if (hash && hashed === stamps![i].size) fingerprints[i] = hash.digest('hex');
    } catch (error) {
      if (!(error instanceof ArchiveError)) throw error;
      failures.push(error);
    }
  }
  const folder = group.archives.length === 0 && group.folder !== undefined ? join(root, group.folder) : undefined;
  const extracted = folder !== undefined && statSync(folder, { throwIfNoEntry: false })?.isDirectory() === true;
  if (extracted) {
    for (const path of walkImages(folder)) {
      const id = claim(relative(folder, path).split(sep).join('/'), group.folder!);
      if (id !== undefined) yield index.sample(id, path, () => readDataFile(root, path));
    }
  }
  // Where a row that was not found would have been, and why it is not there.
  const failure = failures[0];
  const [where, reason] = failure
    ? [failure.file, failure.reason]
    : group.archives.length === 1
      ? [join(root, group.archives[0]), 'not in the archive']
      : group.archives.length > 1
        ? [join(root, group.key), `not in any of its ${group.archives.length} archives (${group.archives.map((a) => a.slice(a.lastIndexOf('/') + 1)).join(' ')})`]
        : extracted
          ? [folder, 'not in the folder']
          : [join(root, group.key), 'no archive or extracted folder holds it'];
  const archive = failure ? relative(root, failure.file).split(sep).join('/') : group.archives.length === 1 ? group.archives[0] : group.key;
  let unread = 0;
  for (const [name, id] of group.expected) {
    if (seen.has(id)) continue;
    unread++;
    problems.missingRows.push({ id, archive, reason });
    const path = `${where}:${name}`;
    yield index.sample(id, path, () => Promise.reject(new DataFileError(path, reason, 'missing')));
  }
  // A failed part would have held the group's rows no other part had.
  for (const f of failures) problems.failedArchives.push({ archive: relative(root, f.file).split(sep).join('/'), error: f.message, rows: unread });
  // Read whole, from archives that did not change meanwhile: what a later run may skip it on.
  if (stamps && failures.length === 0 && group.archives.every((a, i) => fingerprints[i] !== undefined && unchangedSince(join(root, a), stamps[i]))) {
    resume!.ledger.record(group.key, {
      archives: stamps.map((stamp, i) => ({ ...stamp, fingerprint: fingerprints[i]! })),
      rows: group.expected.size,
      digest: rowsDigest([...group.expected].map(([, id]): [string, string] => [id, keys.get(id) ?? ''])),
      problems: {
        orphanMembers: problems.orphanMembers.slice(before.orphanMembers),
        missingRows: problems.missingRows.slice(before.missingRows),
        failedArchives: problems.failedArchives.slice(before.failedArchives),
      },
    });
  }
}

/** The size and mtime of the group's archives now; undefined when one cannot be read (reading it then names the problem). */
function sizesOf(root: string, group: ArchiveGroup): ArchiveSize[] | undefined {
  try {
    return group.archives.map((archive) => statArchive(join(root, archive), archive));
  } catch {
    return undefined;
  }
}

/** A skipped group's samples, from the metadata alone: their images were not read, and reading one is an error. */
function* unreadSamples(root: string, group: ArchiveGroup, index: GroupIndex): Generator<Sample> {
  for (const [name, id] of group.expected) {
    const path = `${join(root, group.key)}:${name}`;
    yield index.sample(id, path, () => Promise.reject(new DataFileError(path, 'its archive group was skipped on resume', 'unreadable')));
  }
}

/**
 * Whether a group need not be read again: the ledger has it read from archives of this size and mtime, every
 * row's stored scores were made from the image key that read gave it (so the stored cache_key is the member's),
 * and each archive's bytes still hash to the fingerprint taken as it was decoded (read once here, no decoding).
 */
async function skippable(root: string, group: ArchiveGroup, stamps: ArchiveSize[], resume: ResumeHint): Promise<boolean> {
  const known = resume.ledger.find(group.key);
  if (!known || known.rows !== group.expected.size || !sameSizes(known.archives, stamps)) return false;
  const keys: [string, string][] = [];
  for (const [, id] of group.expected) {
    const key = resume.storedKey(id);
    if (key === undefined) return false;
    keys.push([id, key]);
  }
  if (rowsDigest(keys) !== known.digest) return false;
  for (const [i, archive] of group.archives.entries()) {
    const now = await fileSha256(join(root, archive)).catch(() => undefined);
    if (now !== known.archives[i].fingerprint || !unchangedSince(join(root, archive), stamps[i])) return false;
  }
  return true;
}

/**
 * Masks read from mask groups (`original/masks/{DS}…`, `p2p_masks/{Model}`) for the samples that ask for them
 * (a mask-guided protocol): a mask group is read whole on first use and kept until another one is asked for, so
 * memory holds one group's masks (a few tens of MB) and a run that never asks reads none.
 */
class MaskCache {
  private current?: { key: string; loaded: Promise<{ members: Map<string, Buffer>; failed?: string }> };

  constructor(
    private readonly root: string,
    private readonly decoder?: Bzip2Decoder,
  ) {}

  async read({ group, key }: MaskRef): Promise<Buffer> {
    if (this.current?.key !== group.key) this.current = { key: group.key, loaded: this.load(group) };
    const { members, failed } = await this.current.loaded;
    const found = members.get(key);
    if (found) return found;
    const where = group.archives.length === 1 ? group.archives[0] : (group.folder ?? group.key);
    throw new DataFileError(`${join(this.root, where)}:${key}`, failed ? `mask archive failed (${failed})` : 'mask not found', 'missing');
  }

  /** Every mask of a group, under each tail of the key `match` gives it (`ADE20K/m.png` and `m.png`). */
  private async load(group: ArchiveGroup): Promise<{ members: Map<string, Buffer>; failed?: string }> {
    const members = new Map<string, Buffer>();
    const add = (name: string, bytes: Buffer) => {
      const key = group.match(name);
      if (key === undefined) return;
      const parts = key.split('/');
      for (let i = 0; i < parts.length; i++) members.set(parts.slice(i).join('/'), bytes);
    };
    let failed: string | undefined;
    for (const archive of group.archives) {
      try {
        for await (const member of readTarBz2(join(this.root, archive), MAX_DATA_FILE_BYTES, this.decoder)) if (member.bytes) add(member.name, member.bytes);
      } catch (error) {
        if (!(error instanceof ArchiveError)) throw error;
        failed ??= error.message;
      }
    }
    const folder = group.archives.length === 0 && group.folder !== undefined ? join(this.root, group.folder) : undefined;
    if (folder && statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
      for (const path of walkImages(folder)) add(relative(folder, path).split(sep).join('/'), await readDataFile(this.root, path));
    }
    return { members, failed };
  }
}

/**
 * The Semi-Truths Evalset as released: `ROOT/metadata.csv` beside `.tar.bz2` archives (`original/images/{DS}`,
 * `inpainting/{DS}`, `p2p/{DS}`, ...) read in place, without extracting them. A row belongs to the archive named
 * by the longest folder prefix of its `image_path` (`inpainting/ADE20K/x.png` → `inpainting/ADE20K.tar.bz2`) and
 * is matched to the member whose path ends with the rest (`x.png`, so `ADE20K/x.png` or `./data/x.png` match).
 * Each archive is a group of its own (see {@link GroupedArchiveSource}); rows under no archive are read from disk
 * like {@link EvalsetSource} does. Ids and pair ids are those of EvalsetSource, so predictions match a run on the
 * extracted files. Archives no row's image points into are read only for masks: a row whose `mask_path` lies in
 * one (`original/masks/{DS}.tar.bz2`, `p2p_masks/{Model}.tar.bz2`) gets its mask from there.
 */
export class ArchiveEvalsetSource extends GroupedArchiveSource {
  readonly root: string;
  readonly metadataFile: string;
  readonly archives: string[];

  constructor(root: string, archives = findArchives(resolve(root)), decoder?: Bzip2Decoder) {
    super(decoder);
    this.root = resolve(root);
    this.metadataFile = join(this.root, 'metadata.csv');
    this.archives = archives;
  }

  protected async buildIndex(): Promise<GroupIndex> {
    const { header, rows, reader } = indexMetadata(this.metadataFile, this.archives);
    const expected = this.archives.map(() => new Map<string, string>());
    const groups: ArchiveGroup[] = this.archives.map((archive, i) => ({ key: archive, archives: [archive], expected: expected[i], match: (name) => matchMember(name, expected[i]) }));
    const onDisk: string[] = [];
    for (const [id, row] of rows) {
      if (row.archive === ON_DISK) onDisk.push(id);
      else expected[row.archive].set(id.slice(this.archives[row.archive].length - ARCHIVE_SUFFIX.length + 1), id);
    }
    const byPrefix = new Map(this.archives.map((a, i) => [a.slice(0, -ARCHIVE_SUFFIX.length), i]));
    const maskGroups: ArchiveGroup[] = [];
    return {
      header,
      groups,
      onDisk,
      count: rows.size,
      sample: (id, path, read) => indexedSample(this.root, header, rows, reader, id, path, read),
      mask: (sample) => {
        const maskPath = sample.meta.mask_path?.replace(/\\/g, '/');
        const number = maskPath ? archiveOf(maskPath, byPrefix) : ON_DISK;
        if (number === ON_DISK) return undefined;
        // The mask archive's members by their path (tails are looked up: members may carry a leading folder).
        maskGroups[number] ??= { key: this.archives[number], archives: [this.archives[number]], expected: new Map(), match: memberPath };
        return { group: maskGroups[number], key: maskPath!.slice(this.archives[number].length - ARCHIVE_SUFFIX.length + 1) };
      },
    };
  }
}

/** A member's path without `./` and empty parts. */
export function memberPath(name: string): string {
  return name.split('/').filter((p) => p !== '' && p !== '.').join('/');
}

/** The row id of a member: the longest tail of its path that is a row's path inside the archive. */
function matchMember(name: string, expected: Map<string, string>): string | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    const id = expected.get(parts.slice(i).join('/'));
    if (id !== undefined) return id;
  }
  return undefined;
}

/** The sample of an indexed metadata row: ids, labels and pair ids as EvalsetSource makes them. */
export function indexedSample(
  root: string,
  header: readonly string[],
  rows: ReadonlyMap<string, IndexedRow>,
  reader: CsvRecordReader,
  id: string,
  path: string,
  read: () => Promise<Buffer>,
): Sample {
  const row = rows.get(id)!;
  const values = reader.record(0, row.offset, row.bytes);
  const meta = Object.fromEntries(header.map((column, i) => [column, values[i] ?? '']));
  const pairId = meta.image_id ? pairIdOf(meta.image_id, meta.dataset) : id;
  return { id, path, root, label: parseLabel(meta.label)!, pairId, meta, read };
}

/**
 * metadata.csv's rows by image_path, each as where it lies in the file (re-read with `reader` when its sample is
 * made), so memory holds ids and numbers, not the file's text. `bytes`: the file's content when it is not on disk
 * (an archive member; `file` then only names it).
 */
export function indexMetadata(file: string, archives: string[], bytes?: Buffer): { header: string[]; rows: Map<string, IndexedRow>; reader: CsvRecordReader } {
  const byPrefix = new Map(archives.map((a, i) => [a.slice(0, -ARCHIVE_SUFFIX.length), i]));
  const reader = new CsvRecordReader([bytes ? { name: file, bytes } : file]);
  let header: string[] = [];
  let [path, label] = [0, 0];
  const rows = new Map<string, IndexedRow>();
  scanCsv(file, {
    bytes,
    onHeader: (names) => {
      header = names;
      checkColumns(header, file);
      [path, label] = [header.indexOf('image_path'), header.indexOf('label')];
      return Math.max(path, label) + 1;
    },
    onRow: (row) => {
      const id = fieldText(row, path);
      const value = fieldText(row, label);
      if (parseLabel(value) === undefined) throw new UserError(`${file}:${row.line}: label '${value}' is not real/fake (or 0/1).`, 'E_DATA');
      if (!id) throw new UserError(`${file}:${row.line}: empty image_path.`, 'E_DATA');
      if (rows.has(id)) throw new UserError(`${file}:${row.line}: image_path '${id}' appears twice.`, 'E_DATA');
      rows.set(id, { offset: row.offset, bytes: row.bytes, archive: archiveOf(id, byPrefix) });
    },
  });
  return { header, rows, reader };
}

/** The archive holding a row: the one named by the longest folder prefix of its path, or ON_DISK. */
export function archiveOf(path: string, byPrefix: Map<string, number>): number {
  const parts = path.replace(/\\/g, '/').split('/');
  for (let n = parts.length - 1; n > 0; n--) {
    const archive = byPrefix.get(parts.slice(0, n).join('/'));
    if (archive !== undefined) return archive;
  }
  return ON_DISK;
}
