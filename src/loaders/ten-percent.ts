import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { MAX_DATA_FILE_BYTES } from '../util/fs.js';
import { GroupedArchiveSource, indexedSample, indexMetadata, memberPath, type ArchiveGroup, type GroupIndex } from './archives.js';
import type { Bzip2Decoder } from './bzip2.js';
import { PANDAS_NA } from './sample.js';
import { ArchiveError, readTarBz2 } from './tar.js';

/** The parts of the first Evalset version: `semi_truths_10p_0.tar.bz2` … (any `semi_truths_{n}p_{k}`). */
const PART = /^semi_truths_(\d+)p_(\d+)\.tar\.bz2$/;

/** The parts at the top of a folder, in part order (`_2` before `_10`). */
export function findTenPercentParts(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((name) => PART.test(name) && statSync(join(root, name)).isFile())
    .sort((a, b) => Number(PART.exec(a)![2]) - Number(PART.exec(b)![2]) || (a < b ? -1 : 1));
}

/**
 * The first version of the Semi-Truths Evalset (semi-truths-dataset.md §4, HF commit ce1a51e): the whole set in
 * three `semi_truths_10p_{k}.tar.bz2` parts at the top of the folder, read in place. Which part holds what is not
 * published (the sizes suggest whole top-level folders: `_1` ≈ the later p2p archives, `_2` ≈ the originals), so
 * the parts are read as one group (see GroupedArchiveSource): a row's image is the member, in any part, whose path
 * ends with its `image_path` (members may carry a leading folder such as `semi_truths_10p/`).
 *
 * The metadata is `metadata.csv` beside the parts (as at HF commit 16fb841, where both were present) or, without
 * one, the `metadata.csv` member found first in the parts (smallest part first), read from the archive in memory.
 * Ids, labels and pair ids are those of EvalsetSource, so predictions equal a run on the extracted files.
 * Masks (`mask_path`) are read from the parts when a mask-guided protocol asks for one; they are not orphans.
 */
export class TenPercentEvalsetSource extends GroupedArchiveSource {
  readonly root: string;
  readonly parts: string[];
  /** Where the metadata was read: `metadata.csv`, or `PART:MEMBER`. */
  metadataFrom?: string;

  constructor(root: string, decoder?: Bzip2Decoder) {
    super(decoder);
    this.root = resolve(root);
    this.parts = findTenPercentParts(this.root);
  }

  protected async buildIndex(): Promise<GroupIndex> {
    const { header, rows, reader } = await this.readMetadata();
    const expected = new Map<string, string>();
    for (const id of rows.keys()) expected.set(memberPath(id.replace(/\\/g, '/')), id);
    const maskColumn = header.indexOf('mask_path');
    const masks = new Map<string, string>();
    for (const { offset, bytes } of maskColumn < 0 ? [] : rows.values()) {
      const cell = (reader.record(0, offset, bytes)[maskColumn] ?? '').trim().replace(/\\/g, '/');
      if (!PANDAS_NA.has(cell)) masks.set(memberPath(cell), memberPath(cell));
    }
    const group: ArchiveGroup = {
      key: 'semi_truths_10p',
      archives: this.parts,
      expected,
      match: (name) => matchTail(name, expected),
      known: (name) => name.split('/').pop() === 'metadata.csv' || matchTail(name, masks) !== undefined,
    };
    // Masks are in the parts too, after or before the images: the first mask asked for reads the parts once more,
    // keeping only the masks (MaskCache in archives.ts).
    const maskGroup: ArchiveGroup = { key: 'semi_truths_10p masks', archives: this.parts, expected: new Map(), match: (name) => matchTail(name, masks) };
    return {
      header,
      groups: [group],
      mask: (sample) => {
        const path = memberPath((sample.meta.mask_path ?? '').trim().replace(/\\/g, '/'));
        return masks.has(path) ? { group: maskGroup, key: path } : undefined;
      },
      onDisk: [],
      count: rows.size,
      sample: (id, path, read) => indexedSample(this.root, header, rows, reader, id, path, read),
    };
  }

  private async readMetadata(): Promise<ReturnType<typeof indexMetadata>> {
    const beside = join(this.root, 'metadata.csv');
    if (existsSync(beside)) {
      this.metadataFrom = 'metadata.csv';
      return indexMetadata(beside, []);
    }
    const bySize = [...this.parts].sort((a, b) => statSync(join(this.root, a)).size - statSync(join(this.root, b)).size);
    const failures: string[] = [];
    for (const part of bySize) {
      const file = join(this.root, part);
      try {
        for await (const member of readTarBz2(file, MAX_DATA_FILE_BYTES, this.decoder)) {
          if (member.name.split('/').pop() !== 'metadata.csv') continue;
          if (!member.bytes) throw new UserError(`${file}:${member.name}: ${member.refused}`, 'E_DATA');
          this.metadataFrom = `${part}:${member.name}`;
          return indexMetadata(`${file}:${member.name}`, [], member.bytes);
        }
      } catch (error) {
        if (!(error instanceof ArchiveError)) throw error;
        failures.push(error.message);
      }
    }
    throw new UserError(
      `No metadata.csv beside the ${this.parts.join(', ')} parts in ${this.root}, nor inside them${failures.length ? ` (unreadable: ${failures.join('; ')})` : ''}: put the Evalset's metadata.csv beside them.`,
      'E_DATA',
    );
  }
}

/** The row id of a member: the longest tail of its path that is a row's image_path. */
function matchTail(name: string, expected: Map<string, string>): string | undefined {
  const parts = memberPath(name).split('/');
  for (let i = 0; i < parts.length; i++) {
    const id = expected.get(parts.slice(i).join('/'));
    if (id !== undefined) return id;
  }
  return undefined;
}
