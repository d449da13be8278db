import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { createReadStream } from 'node:fs';
import { CsvError } from 'csv-parse';
import { UserError } from '../util/errors.js';
import { DataFileError, MAX_DATA_FILE_BYTES, readDataFile, resolveDataPath } from '../util/fs.js';
import type { Bzip2Decoder } from './bzip2.js';
import { checkColumns, parseLabel } from './evalset.js';
import type { DataSource, Sample } from './sample.js';
import { ArchiveError, readTarBz2 } from './tar.js';

const ARCHIVE_SUFFIX = '.tar.bz2';
/** How deep below the data folder archives are looked for: `inpainting/{DS}/{Model}/x.tar.bz2` is at depth 3. */
const ARCHIVE_DEPTH = 3;

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

/** One metadata row, held as its raw CSV text until its sample is made (memory stays near the file's size). */
interface IndexedRow {
  raw: string;
  archive: number;
}

/** Rows in no archive (read from disk) have this archive number. */
const ON_DISK = -1;

/**
 * The Semi-Truths Evalset as released: `ROOT/metadata.csv` beside `.tar.bz2` archives (`original/images/{DS}`,
 * `inpainting/{DS}`, `p2p/{DS}`, ...) read in place, without extracting them. A row belongs to the archive named
 * by the longest folder prefix of its `image_path` (`inpainting/ADE20K/x.png` → `inpainting/ADE20K.tar.bz2`) and
 * is matched to the member whose path ends with the rest (`x.png`, so `ADE20K/x.png` or `./data/x.png` match).
 *
 * tar.bz2 has no random access, so samples come in archive order: metadata is indexed by path first, then each
 * archive is streamed and every member with a row is yielded with its bytes (`read`), one at a time. After an
 * archive, its rows without a member follow as samples whose read fails, so every row becomes a prediction row;
 * a stub, truncated or corrupt archive turns its unread rows into such error rows and the other archives still
 * run. Rows under no archive are read from disk like {@link EvalsetSource} does. Ids and pair ids are those of
 * EvalsetSource, so predictions match a run on the extracted files. Archives no row points into (masks) are not
 * read. `problems` lists what did not match once `samples()` has been read to the end.
 */
export class ArchiveEvalsetSource implements DataSource {
  readonly root: string;
  readonly metadataFile: string;
  readonly archives: string[];
  problems: ArchiveProblems = { orphanMembers: [], missingRows: [], failedArchives: [] };

  constructor(
    root: string,
    archives = findArchives(resolve(root)),
    private readonly decoder?: Bzip2Decoder,
  ) {
    this.root = resolve(root);
    this.metadataFile = join(this.root, 'metadata.csv');
    this.archives = archives;
  }

  /** The number of samples (one per metadata row), without reading any archive. */
  async count(): Promise<number> {
    return (await this.index()).rows.size;
  }

  async *samples(): AsyncGenerator<Sample> {
    const { header, rows } = await this.index();
    const problems: ArchiveProblems = { orphanMembers: [], missingRows: [], failedArchives: [] };
    const make = (id: string, row: IndexedRow, path: string, read: Sample['read']): Sample => {
      const values = parseSync(row.raw, { relax_quotes: false })[0] as string[];
      const meta = Object.fromEntries(header.map((column, i) => [column, values[i] ?? '']));
      return { id, path, root: this.root, label: parseLabel(meta.label)!, pairId: meta.image_id || id, meta, read };
    };
    for (const [number, archive] of this.archives.entries()) {
      const file = join(this.root, archive);
      const prefix = archive.slice(0, -ARCHIVE_SUFFIX.length) + '/';
      // The rows this archive holds, by their path inside it.
      const expected = new Map<string, string>();
      for (const [id, row] of rows) if (row.archive === number) expected.set(id.slice(prefix.length), id);
      if (expected.size === 0) continue;
      const seen = new Set<string>();
      let failure: ArchiveError | undefined;
      try {
        for await (const member of readTarBz2(file, MAX_DATA_FILE_BYTES, this.decoder)) {
          const id = matchMember(member.name, expected);
          if (id === undefined || seen.has(id)) {
            problems.orphanMembers.push({ archive, member: member.name });
            continue;
          }
          seen.add(id);
          const path = `${file}:${member.name}`;
          const { bytes, refused } = member;
          if (refused) problems.missingRows.push({ id, archive, reason: refused });
          yield make(id, rows.get(id)!, path, () =>
            bytes ? Promise.resolve(bytes) : Promise.reject(new DataFileError(path, refused!, 'refused')),
          );
        }
      } catch (error) {
        if (!(error instanceof ArchiveError)) throw error;
        failure = error;
      }
      let unread = 0;
      for (const [name, id] of expected) {
        if (seen.has(id)) continue;
        unread++;
        const reason = failure ? failure.reason : 'not in the archive';
        problems.missingRows.push({ id, archive, reason });
        const path = `${file}:${name}`;
        yield make(id, rows.get(id)!, path, () => Promise.reject(new DataFileError(path, reason, 'missing')));
      }
      if (failure) problems.failedArchives.push({ archive, error: failure.message, rows: unread });
      this.problems = problems;
    }
    for (const [id, row] of rows) {
      if (row.archive !== ON_DISK) continue;
      const path = resolveDataPath(this.root, id);
      yield make(id, row, path, () => readDataFile(this.root, path));
    }
    this.problems = problems;
  }

  private indexed?: Promise<{ header: string[]; rows: Map<string, IndexedRow> }>;

  /** Reads metadata.csv once: each row's raw text and archive, keyed by image_path; the same checks as EvalsetSource. */
  private index(): Promise<{ header: string[]; rows: Map<string, IndexedRow> }> {
    this.indexed ??= indexMetadata(this.metadataFile, this.archives);
    return this.indexed;
  }
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

async function indexMetadata(file: string, archives: string[]): Promise<{ header: string[]; rows: Map<string, IndexedRow> }> {
  const byPrefix = new Map(archives.map((a, i) => [a.slice(0, -ARCHIVE_SUFFIX.length), i]));
  let header: string[] = [];
  const rows = new Map<string, IndexedRow>();
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      columns: (names: string[]) => {
        header = names.map((c) => c.trim());
        checkColumns(header, file);
        return header;
      },
    }),
  );
  try {
    for await (const { record, info, raw } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number }; raw: string }>) {
      const id = record.image_path;
      const line = info.lines;
      if (parseLabel(record.label) === undefined) {
        throw new UserError(`${file}:${line}: label '${record.label}' is not real/fake (or 0/1).`, 'E_DATA');
      }
      if (!id) throw new UserError(`${file}:${line}: empty image_path.`, 'E_DATA');
      if (rows.has(id)) throw new UserError(`${file}:${line}: image_path '${id}' appears twice.`, 'E_DATA');
      rows.set(id, { raw, archive: archiveOf(id, byPrefix) });
    }
  } catch (error) {
    if (error instanceof CsvError) throw new UserError(`${file}: ${error.message}`, 'E_DATA', { cause: error });
    throw error;
  }
  return { header, rows };
}

/** The archive holding a row: the one named by the longest folder prefix of its path, or ON_DISK. */
function archiveOf(path: string, byPrefix: Map<string, number>): number {
  const parts = path.replace(/\\/g, '/').split('/');
  for (let n = parts.length - 1; n > 0; n--) {
    const archive = byPrefix.get(parts.slice(0, n).join('/'));
    if (archive !== undefined) return archive;
  }
  return ON_DISK;
}
