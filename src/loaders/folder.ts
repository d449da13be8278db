import { readdirSync, statSync } from 'node:fs';
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
      for (const path of walk(join(this.root, sub))) {
        const id = relative(this.root, path);
        yield { id, path, label, pairId: id, meta: { label: sub, dataset: sub } };
      }
    }
  }
}

/** Image files under a folder in sorted order, so runs are reproducible. */
function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (IMAGE_EXTENSIONS.test(name)) yield path;
  }
}
