import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { ArchiveEvalsetSource, findArchives } from './archives.js';
import { EvalsetSource } from './evalset.js';
import { FolderSource } from './folder.js';
import { FullReleaseSource, isFullRelease } from './release.js';
import { findTenPercentParts, TenPercentEvalsetSource } from './ten-percent.js';
import type { DataSource } from './sample.js';

export { ArchiveEvalsetSource, findArchives, GroupedArchiveSource, type ArchiveGroup, type ArchiveProblems, type MissingRow, type OrphanMember } from './archives.js';
export { availableDecoders, chooseDecoder, type Bzip2Decoder } from './bzip2.js';
export { EvalsetSource, parseLabel, REQUIRED_COLUMNS, type DuplicateRow } from './evalset.js';
export { FolderSource } from './folder.js';
export { FullReleaseSource, isFullRelease } from './release.js';
export { findTenPercentParts, TenPercentEvalsetSource } from './ten-percent.js';
export { imageKey, listSamples, readSampleFile, sampleContext, type DataSource, type Sample } from './sample.js';

/**
 * Picks the loader for a folder: the first Evalset version (semi_truths_10p_{k}.tar.bz2 parts, with or without
 * metadata.csv beside them), an Evalset as released (metadata.csv beside .tar.bz2 archives, read in place),
 * an extracted Evalset (metadata.csv and image files), the full release (metadata/edited/ or per-model
 * *_meta.csv, with its archives or their extracted folders) or a real/ + fake/ folder.
 * `strict`: a repeated Evalset image_path is an error.
 */
export function openDataSource(dir: string, options: { strict?: boolean } = {}): DataSource {
  const root = resolve(dir);
  const info = statSync(root, { throwIfNoEntry: false });
  if (!info) throw new UserError(`Data folder not found: ${root}`, 'E_DATA');
  if (!info.isDirectory()) throw new UserError(`--data must be a folder, but ${root} is a file.`, 'E_DATA');
  // A clone of the Evalset repository at some commits holds both layouts: the restructured archives win.
  const parts = findTenPercentParts(root);
  const archives = existsSync(join(root, 'metadata.csv')) || parts.length > 0 ? findArchives(root).filter((a) => !parts.includes(a)) : [];
  if (parts.length > 0 && archives.length === 0) return new TenPercentEvalsetSource(root);
  if (existsSync(join(root, 'metadata.csv'))) {
    const extracted = new EvalsetSource(root, options); // checks metadata.csv
    return archives.length > 0 ? new ArchiveEvalsetSource(root, archives) : extracted;
  }
  if (isFullRelease(root)) return new FullReleaseSource(root);
  if (existsSync(join(root, 'real')) && existsSync(join(root, 'fake'))) return new FolderSource(root);
  throw new UserError(
    `${root} is neither an Evalset (metadata.csv, or semi_truths_10p_{k}.tar.bz2 parts), the full Semi-Truths release (metadata/edited/ or inpainting/{DS}/{Model}/*_meta.csv) nor a folder with real/ and fake/ subfolders.`,
    'E_DATA',
  );
}
