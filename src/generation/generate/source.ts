import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { readCsvRecords } from '../../loaders/csv.js';
import { UserError } from '../../util/errors.js';
import { nearest } from '../../util/suggest.js';
import type { SourceMask } from './contracts.js';

/** The columns of the authors' data/input/metadata.csv (one row per object mask). */
export const SOURCE_COLUMNS = ['image_id', 'image_path', 'dataset', 'entities', 'class', 'mask_id', 'mask_path', 'mask_name', 'ratio'] as const;

/** Why a source row is not used; each is counted. */
export type SkipReason = 'ratio 1000.0' | 'mask_name NA';

export interface SourceSet {
  /** 'authors': metadata.csv layout; 'folder': images/ + masks/ named by file. */
  layout: 'authors' | 'folder';
  root: string;
  masks: SourceMask[];
  /** Rows left out, per reason (the authors' filter_labels rules). */
  skipped: Partial<Record<SkipReason, number>>;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff']);

/**
 * Reads a source set: DIR/metadata.csv in the authors' layout when present, otherwise DIR/images/ + DIR/masks/
 * where each mask is named `{photo stem}_{object label}.{ext}`. Every path must stay inside DIR.
 */
export async function loadSourceSet(dir: string): Promise<SourceSet> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError(`Source folder not found: ${root}`, 'E_DATA');
  if (existsSync(join(root, 'metadata.csv'))) return loadAuthorsLayout(root);
  if (existsSync(join(root, 'images')) && existsSync(join(root, 'masks'))) return loadFolderLayout(root);
  throw new UserError(
    `${root} is not a source set: it needs metadata.csv (the Semi-Truths data/input layout) or images/ + masks/ folders.`,
    'E_DATA',
  );
}

async function loadAuthorsLayout(root: string): Promise<SourceSet> {
  const file = join(root, 'metadata.csv');
  const masks: SourceMask[] = [];
  const skipped: SourceSet['skipped'] = {};
  const seen = new Set<string>();
  for await (const { record, line } of readCsvRecords(file, (columns) => checkColumns(columns, file))) {
    const where = `${file}:${line}`;
    // filter_labels drops rows without a usable mask: no label (NA) or the 1000.0 ratio sentinel.
    const reason: SkipReason | undefined =
      record.ratio.trim() === '1000.0' ? 'ratio 1000.0' : record.mask_name.trim() === 'NA' || record.mask_name.trim() === '' ? 'mask_name NA' : undefined;
    if (reason) {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
      continue;
    }
    for (const column of ['image_id', 'dataset', 'mask_id'] as const) {
      if (!record[column].trim()) throw new UserError(`${where}: empty ${column}.`, 'E_DATA');
    }
    if (seen.has(record.mask_id)) throw new UserError(`${where}: mask_id '${record.mask_id}' appears twice.`, 'E_DATA');
    seen.add(record.mask_id);
    masks.push({
      imageId: record.image_id,
      imagePath: inside(root, record.image_path, where),
      imageRelPath: record.image_path,
      dataset: record.dataset,
      entities: record.entities,
      className: record.class,
      maskId: record.mask_id,
      maskPath: inside(root, record.mask_path, where),
      maskRelPath: record.mask_path,
      maskName: record.mask_name,
      ratio: record.ratio,
    });
  }
  return { layout: 'authors', root, masks, skipped };
}

/** images/{stem}.{ext} and masks/{stem}_{label}.{ext}; the longest photo stem that prefixes a mask's name wins. */
function loadFolderLayout(root: string): SourceSet {
  const photos = listImages(join(root, 'images'));
  const byStem = new Map(photos.map((f) => [stem(f), f]));
  const stems = [...byStem.keys()].sort((a, b) => b.length - a.length);
  const masks: SourceMask[] = [];
  for (const maskFile of listImages(join(root, 'masks'))) {
    const maskStem = stem(maskFile);
    const owner = stems.find((s) => maskStem.startsWith(`${s}_`) && maskStem.length > s.length + 1);
    if (!owner) {
      throw new UserError(
        `masks/${maskFile}: no photo in images/ matches; name each mask {photo name}_{object label}${extname(maskFile)} (e.g. street_car.png for images/street.jpg).`,
        'E_DATA',
      );
    }
    const imageRelPath = `images/${byStem.get(owner)}`;
    const maskRelPath = `masks/${maskFile}`;
    masks.push({
      imageId: owner,
      imagePath: join(root, imageRelPath),
      imageRelPath,
      dataset: 'custom',
      entities: '',
      className: '',
      maskId: maskStem,
      maskPath: join(root, maskRelPath),
      maskRelPath,
      maskName: maskStem.slice(owner.length + 1).replaceAll('_', ' '),
      ratio: '',
    });
  }
  if (masks.length === 0) throw new UserError(`${join(root, 'masks')} has no mask images.`, 'E_DATA');
  return { layout: 'folder', root, masks, skipped: {} };
}

function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();
}

function stem(file: string): string {
  return basename(file, extname(file));
}

/** The absolute path of a relative path from the CSV; a path leaving the input folder is refused. */
function inside(root: string, rel: string, where: string): string {
  if (!rel.trim()) throw new UserError(`${where}: empty path.`, 'E_DATA');
  const path = resolve(root, rel);
  const back = relative(root, path);
  if (isAbsolute(rel) || back.startsWith(`..${sep}`) || back === '..' || isAbsolute(back)) {
    throw new UserError(`${where}: path '${rel}' leaves the input folder ${root}.`, 'E_DATA');
  }
  return path;
}

function checkColumns(columns: string[], file: string): void {
  for (const required of SOURCE_COLUMNS) {
    if (columns.includes(required)) continue;
    const hint = nearest(required, columns);
    throw new UserError(
      `${file} is missing the column '${required}'${hint ? ` (found '${hint}': misspelt?)` : ''}. ` +
        `A source metadata.csv needs: ${SOURCE_COLUMNS.join(', ')}.`,
      'E_DATA',
    );
  }
}
