import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { memberPath, type ArchiveGroup } from '../loaders/archives.js';
import { walkImages } from '../loaders/folder.js';
import { FullReleaseSource, isFullRelease } from '../loaders/release.js';
import { csvText, DATA_FILE } from '../reports/csv.js';
import { UserError } from '../util/errors.js';
import type { MatchedUnit } from './archived-pairs.js';
import type { MeasureTable } from './table.js';

/**
 * `measure --data RELEASE --out DIR` on the full Semi-Truths release (release.ts): the release has no one table to
 * rewrite, so measure writes one in Evalset form, DIR/metadata.csv (a row per real photo and per edit, as
 * FullReleaseSource lists them: `run` scores the same ids), and keeps its side files beside it, as for an Evalset.
 * Image paths stay relative to the release folder; the files are read from its archives in place.
 */
export function releaseTable(dir: string, out: string): MeasureTable {
  const root = resolve(dir);
  if (!isFullRelease(root)) throw new UserError(`${root} is not the full Semi-Truths release: --out is for it (an Evalset's metadata.csv is measured in place: drop --out).`, 'E_DATA');
  const folder = resolve(out);
  return {
    mode: 'evalset',
    release: true,
    file: join(folder, 'metadata.csv'),
    root,
    backupFile: join(folder, 'metadata.orig.csv'),
    storeFile: join(folder, '.semibench-measure.csv'),
    binsFile: join(folder, 'bins.json'),
    summaryFile: join(folder, 'measure.json'),
  };
}

/**
 * Writes the table from the release's metadata, once (a rerun keeps the table it measured: resume). Streamed in two
 * passes (columns, then rows) so the release's ~1.5 M rows are never held at once.
 */
export async function writeReleaseTable(table: MeasureTable, source: FullReleaseSource): Promise<void> {
  if (existsSync(table.file)) return;
  const columns: string[] = [];
  const seen = new Set<string>();
  for await (const sample of source.rows()) {
    for (const column of Object.keys(sample.meta)) if (!seen.has(column)) seen.add(column), columns.push(column);
  }
  mkdirSync(resolve(table.file, '..'), { recursive: true });
  const partial = `${table.file}.partial`;
  const fd = openSync(partial, 'w');
  try {
    writeSync(fd, csvText([columns], DATA_FILE));
    let lines: string[][] = [];
    for await (const sample of source.rows()) {
      lines.push(columns.map((c) => sample.meta[c] ?? ''));
      if (lines.length === 4096) writeSync(fd, csvText(lines, DATA_FILE)), (lines = []);
    }
    if (lines.length > 0) writeSync(fd, csvText(lines, DATA_FILE));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, table.file);
}

/**
 * The release's groups of archives as units of ArchivedPairs: a group holds the paths its `match` names (a real
 * photo `original/images/{DS}/{img_id}.jpg`, an edit `inpainting/{DS}/{pid}_{DS}_{Model}.png`), a dataset's mask
 * group the masks below `original/masks/{DS}/` (matched by stem, `{mask_id}`). Groups without archives are read
 * from their extracted folders (extractedFiles).
 */
export async function releaseUnits(source: FullReleaseSource): Promise<MatchedUnit[]> {
  const units: MatchedUnit[] = [];
  for (const { group, mask } of await allGroups(source)) {
    if (group.archives.length === 0) continue;
    const holds = mask ? (path: string) => (path.startsWith(`${group.key}/`) ? stemOf(path) : undefined) : (path: string) => (group.match(path) === path ? path : undefined);
    units.push({ name: group.key, files: group.archives, match: (name) => group.match(name), holds });
  }
  return units;
}

/**
 * Where the files of the groups without archives are: the table's path of each (absolute, as a pair plans it) → the
 * file in the group's extracted folder that `match` gives it (the folder walked once, as `run` walks it).
 */
export async function extractedFiles(source: FullReleaseSource): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const { group, mask } of await allGroups(source)) {
    if (group.archives.length > 0 || group.folder === undefined) continue;
    const folder = join(source.root, group.folder);
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const path of walkImages(folder)) {
      const key = group.match(relative(folder, path).split(sep).join('/'));
      // A mask's table path is `original/masks/{DS}/{mask_id}.png` (release.ts evalsetMeta).
      const id = key === undefined ? undefined : mask ? `${group.key}/${key}.png` : key;
      if (id !== undefined && !files.has(join(source.root, id))) files.set(join(source.root, id), path);
    }
  }
  return files;
}

/** The release's image and edit groups, then each dataset's mask group. */
async function allGroups(source: FullReleaseSource): Promise<{ group: ArchiveGroup; mask: boolean }[]> {
  const { groups, maskGroup } = await source.archiveGroups();
  const datasets = groups.filter((g) => g.key.startsWith('original/images/')).map((g) => g.key.slice('original/images/'.length));
  return [...groups.map((group) => ({ group, mask: false })), ...datasets.map((dataset) => ({ group: maskGroup(dataset), mask: true }))];
}

function stemOf(name: string): string {
  const base = memberPath(name).split('/').pop()!;
  return base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
}
