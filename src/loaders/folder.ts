import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { DataSource, Sample } from './sample.js';

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|bmp|tiff?|gif)$/i;

/** A plain folder with `real/` and `fake/` subfolders (searched recursively); no metadata beyond the label. */
export class FolderSource implements DataSource {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async *samples(): AsyncGenerator<Sample> {
    for (const [sub, label] of [['real', 0], ['fake', 1]] as const) {
      for (const path of walkImages(join(this.root, sub))) {
        const id = relative(this.root, path);
        yield { id, path, root: this.root, label, pairId: id, meta: { label: sub, dataset: sub } };
      }
    }
  }
}

/**
 * Image files under a folder in sorted order, so runs are reproducible. Symlinked folders are not entered (a
 * link loop cannot hang the walk); a symlinked file is yielded and refused on read if it leads outside the root.
 */
export function* walkImages(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkImages(path);
    else if (IMAGE_EXTENSIONS.test(entry.name)) yield path;
  }
}
