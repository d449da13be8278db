import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { nearest } from '../util/suggest.js';
import { findArchives, GroupedArchiveSource, memberPath, type ArchiveGroup, type GroupIndex, type GroupRows } from './archives.js';
import type { Bzip2Decoder } from './bzip2.js';
import { CsvRecordReader, fieldText, scanCsv } from './csv.js';
import { FILE_TYPE_MAP, pairIdOf } from './evalset.js';
import type { Sample } from './sample.js';

/**
 * The full Semi-Truths release (`semi-truths/Semi-Truths`, semi-truths-dataset.md §3) read as downloaded:
 *
 * ```
 * original/images/{DS}_images_{k}.tar.bz2        original/masks/{DS}_masks_{k}.tar.bz2
 * inpainting/{DS}/{Model}/{DS}_{Model}_{k}.tar.bz2   + {DS}_{Model}_meta.csv
 * prompt-based-editing/{DS}/{OJ|SDv4|SDv5}_{DS}_{k}.tar.bz2                     (older layout)
 * prompt-based-editing/{LM}/{DS}/{Model}/{DS}_{Model}_{k}.tar.bz2 [+ _meta.csv]  (later layout)
 * metadata/edited/*.csv                            (inpainting.csv, prompt-based-editing.csv)
 * ```
 *
 * The metadata (every `*_meta.csv` beside the archives, then metadata/edited/*.csv and metadata/*.csv) has one
 * row per edited image keyed by `img_id` (the real photo) and `perturbed_img_id`. A row seen in two files is one
 * sample (the later file fills the columns the earlier left empty). Each edit becomes a sample with the id its
 * Evalset counterpart has (`inpainting/{DS}/{pid}_{DS}_{Model}.png`, `p2p/{DS}/{pid}_{DS}_{Model}.png`), and each
 * distinct real photo one more (`original/images/{DS}/{img_id}{ext}`); they share the pair id `img_id`. The meta
 * carries every column of the row plus the Evalset's names the slices read (image_id, image_path, label, method =
 * inpainting | p2p, model, mask_id, mask_path, ratio).
 *
 * Members are matched by file name: an edit by `{pid}_{DS}_{Model}` (an old alias OJ/SDv4/SDv5 in the name is
 * read as its model), a real photo by its stem (`20046.jpg` is CelebAHQ's `CelebA_20046`), a mask by its stem
 * (`{mask_id}`), whatever folders the member carries. The archives of one folder (one dataset × model; the older
 * prompt layout: one dataset) form one group (see GroupedArchiveSource), assigned whole by `--shard`. A group
 * without archives is read from its extracted folder (`original/images/{DS}/`, `inpainting/{DS}/{Model}/`, ...).
 */
export class FullReleaseSource extends GroupedArchiveSource {
  readonly root: string;
  /** The metadata files read, relative to the root, in reading order. */
  readonly metadataFiles: string[];
  private layout?: ReleaseLayout;

  constructor(root: string, decoder?: Bzip2Decoder) {
    super(decoder);
    this.root = resolve(root);
    this.metadataFiles = findMetadataFiles(this.root);
    if (this.metadataFiles.length === 0) {
      throw new UserError(`${this.root} looks like the full Semi-Truths release but holds no metadata: expected metadata/edited/*.csv or {DS}_{Model}_meta.csv beside the inpainting archives.`, 'E_DATA');
    }
  }

  protected async buildIndex(): Promise<GroupIndex> {
    const archives = findArchives(this.root);
    const files = this.metadataFiles.map((relPath) => join(this.root, relPath));
    // Rows stay in the files: an edit keeps its id and where its rows lie (~1.5 M edits in the release).
    const reader = new CsvRecordReader(files);
    const edits = new Edits();
    const layout = (this.layout = new ReleaseLayout(this.root, archives, edits));
    const headers: string[][] = [];
    /** Real photos: id → dataset and img_id. */
    const reals = new Map<string, { dataset: string; imageId: string }>();
    for (const [number, file] of files.entries()) {
      const fileMethod = methodOfFile(this.metadataFiles[number]);
      let wanted: [column: string, field: number][] = [];
      scanCsv(file, {
        onHeader: (columns) => {
          checkReleaseColumns(columns, file);
          headers[number] = columns;
          wanted = KEY_COLUMNS.map((c): [string, number] => [c, columns.indexOf(c)]).filter(([, field]) => field >= 0);
          return Math.max(...wanted.map(([, field]) => field)) + 1;
        },
        onRow: (row) => {
          const record: Record<string, string> = {};
          for (const [column, field] of wanted) record[column] = fieldText(row, field);
          const edit = editOf(record, fileMethod, `${file}:${row.line}`);
          edits.add(edit.id, () => layout.group(edit.group), number, row.offset, row.bytes);
          const realId = realIdOf(edit.dataset, edit.imageId);
          if (!reals.has(realId)) {
            reals.set(realId, { dataset: edit.dataset, imageId: edit.imageId });
            layout.realGroup(edit.dataset).expected.set(edit.imageId, realId);
          }
        },
      });
    }
    const sample = (id: string, path: string, read: () => Promise<Buffer>): Sample => {
      const real = reals.get(id);
      if (real) {
        const meta = { image_id: real.imageId, image_path: id, dataset: real.dataset, label: 'real' };
        return { id, path, root: this.root, label: 0, pairId: real.imageId, meta, read };
      }
      // A later file fills the columns the earlier ones left empty.
      const meta: Record<string, string> = {};
      for (const row of edits.rowsOf(edits.numberOf.get(id)!)) {
        const values = reader.record(edits.rowFile[row], edits.rowOffset[row], edits.rowBytes[row]);
        headers[edits.rowFile[row]].forEach((column, i) => {
          if (!meta[column]) meta[column] = values[i] ?? '';
        });
      }
      return { id, path, root: this.root, label: 1, pairId: evalsetMeta(meta, id), meta, read };
    };
    return {
      groups: layout.groups(),
      onDisk: [],
      count: edits.ids.length + reals.size,
      sample,
      mask: (s) => {
        const maskId = s.meta.method === 'inpainting' ? s.meta.mask_id : '';
        return maskId ? { group: layout.maskGroup(s.meta.dataset), key: maskId } : undefined;
      },
    };
  }

  /**
   * Its groups of archives (real photos, edits) and the mask group of each dataset: measure reads a pair's three
   * files from them (src/generation/archived-pairs.ts).
   */
  async archiveGroups(): Promise<{ groups: ArchiveGroup[]; maskGroup: (dataset: string) => ArchiveGroup }> {
    const index = await this.index();
    return { groups: index.groups, maskGroup: (dataset) => this.layout!.maskGroup(dataset) };
  }
}

/**
 * The release's edits, held compactly (an object per edit took ~1 KB, 1.5 GB for the release): an id string
 * each, the rest in arrays of numbers. A metadata row is where it lies in its file (re-read when its sample is
 * made); the rows of one edit (a row seen in two files) are chained newest first.
 */
class Edits {
  /** Edit number by id. */
  readonly numberOf = new Map<string, number>();
  readonly ids: string[] = [];
  readonly groupOf: EditRows[] = [];
  /** Per edit: its newest row. */
  private readonly lastRow: number[] = [];
  /** Per row: its file (number), where it lies in it, and the same edit's row before it (-1: none). */
  readonly rowFile: number[] = [];
  readonly rowOffset: number[] = [];
  readonly rowBytes: number[] = [];
  private readonly rowBefore: number[] = [];

  /** Adds a metadata row of the edit `id`; a new edit joins the group `group()` gives. */
  add(id: string, group: () => EditRows, file: number, offset: number, bytes: number): void {
    const row = this.rowFile.length;
    this.rowFile.push(file);
    this.rowOffset.push(offset);
    this.rowBytes.push(bytes);
    const known = this.numberOf.get(id);
    if (known !== undefined) {
      this.rowBefore.push(this.lastRow[known]);
      this.lastRow[known] = row;
      return;
    }
    const edit = this.ids.length;
    const rows = group();
    this.numberOf.set(id, edit);
    this.ids.push(id);
    this.groupOf.push(rows);
    this.lastRow.push(row);
    this.rowBefore.push(-1);
    rows.add(edit);
  }

  /** An edit's rows in reading order. */
  rowsOf(edit: number): number[] {
    const rows: number[] = [];
    for (let row = this.lastRow[edit]; row >= 0; row = this.rowBefore[row]) rows.push(row);
    return rows.reverse();
  }
}

/** An edit group's rows: edit numbers, named by their ids (`{prefix}{name}.png`, the name `{pid}_{DS}_{Model}`). */
class EditRows implements GroupRows {
  private readonly members: number[] = [];

  constructor(
    private readonly edits: Edits,
    private readonly prefix: string,
  ) {}

  get size(): number {
    return this.members.length;
  }

  add(edit: number): void {
    this.members.push(edit);
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const edit of this.members) {
      const id = this.edits.ids[edit];
      yield [id.slice(this.prefix.length, -'.png'.length), id];
    }
  }

  /** The id of this group's edit named `name`, if there is one. */
  match(name: string): string | undefined {
    const edit = this.edits.numberOf.get(`${this.prefix}${name}.png`);
    return edit !== undefined && this.edits.groupOf[edit] === this ? this.edits.ids[edit] : undefined;
  }
}

/** Whether a folder holding no metadata.csv is laid out as the full release. */
export function isFullRelease(root: string): boolean {
  if (existsSync(join(root, 'metadata', 'edited'))) return true;
  if (findMetadataFiles(root).length > 0) return true;
  const images = join(root, 'original', 'images');
  return existsSync(images) && readdirSync(images).some((name) => /_images_\d+\.tar\.bz2$/.test(name));
}

/** The old prompt-based archives name their model by an alias. */
const MODEL_ALIASES: Record<string, string> = { OJ: 'OpenJourney', SDv4: 'StableDiffusion_v4', SDv5: 'StableDiffusion_v5' };
const canonicalModel = (name: string) => MODEL_ALIASES[name] ?? name;

const REQUIRED = ['img_id', 'perturbed_img_id', 'dataset'] as const;
/** The columns an edit's id and group are read from (editOf), the only ones split while indexing. */
const KEY_COLUMNS = ['img_id', 'image_id', 'perturbed_img_id', 'mask_id', 'dataset', 'diffusion_model', 'model', 'method', 'language_model'];

/** Other names a column is found under (the Evalset's, and an inpainting row's mask_id is its perturbed_img_id). */
const ALIASES: Record<string, string[]> = { img_id: ['image_id'], perturbed_img_id: ['mask_id'], diffusion_model: ['model'] };
function cell(record: Record<string, string>, column: string): string {
  if (record[column]) return record[column];
  for (const alias of ALIASES[column] ?? []) if (record[alias]) return record[alias];
  return '';
}

function checkReleaseColumns(columns: string[], file: string): void {
  for (const required of [...REQUIRED, 'diffusion_model']) {
    if ([required, ...(ALIASES[required] ?? [])].some((c) => columns.includes(c))) continue;
    const hint = nearest(required, columns);
    throw new UserError(
      `${file} is missing the required column '${required}'${hint ? ` (found '${hint}': misspelt?)` : ''}. The release's metadata needs ${REQUIRED.join(', ')} and diffusion_model (or image_id, mask_id, model).`,
      'E_DATA',
    );
  }
}

/** Per-model meta CSVs beside the archives, then metadata/edited/*.csv and metadata/*.csv; sorted within each. */
function findMetadataFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (rel: string, depth: number, keep: (name: string) => boolean) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory() && depth > 0) walk(path, depth - 1, keep);
      else if (entry.isFile() && keep(entry.name)) found.push(path);
    }
  };
  const meta = (name: string) => name.endsWith('_meta.csv');
  walk('inpainting', 2, meta);
  walk('prompt-based-editing', 3, meta);
  walk('metadata/edited', 0, (name) => name.endsWith('.csv'));
  walk('metadata', 0, (name) => name.endsWith('.csv'));
  return found;
}

type Method = 'inpainting' | 'p2p';

/** The editing method a metadata file holds, from where it lies or its name; undefined: from each row. */
function methodOfFile(relPath: string): Method | undefined {
  const lower = relPath.toLowerCase();
  if (lower.startsWith('inpainting/')) return 'inpainting';
  if (lower.startsWith('prompt-based-editing/')) return 'p2p';
  const name = lower.slice(lower.lastIndexOf('/') + 1);
  if (name.includes('inpaint')) return 'inpainting';
  if (name.includes('prompt') || name.includes('p2p')) return 'p2p';
  return undefined;
}

interface Edit {
  id: string;
  dataset: string;
  imageId: string;
  method: Method;
  model: string;
  /** Where its archives are: see ReleaseLayout.group. */
  group: { method: Method; dataset: string; model: string; languageModel: string };
  /** What its member is matched on: `{pid}_{DS}_{Model}`. */
  key: string;
}

function editOf(record: Record<string, string>, fileMethod: Method | undefined, where: string): Edit {
  const dataset = record.dataset.trim();
  const model = canonicalModel(cell(record, 'diffusion_model').trim());
  const pid = cell(record, 'perturbed_img_id').trim();
  const imageId = cell(record, 'img_id').trim();
  for (const [name, value] of [['dataset', dataset], ['diffusion_model', model], ['perturbed_img_id', pid], ['img_id', imageId]]) {
    if (!value || value.includes('/')) throw new UserError(`${where}: ${name} '${value}' is ${value ? 'not a name (has a /)' : 'empty'}.`, 'E_DATA');
  }
  const rowMethod = /inpaint/i.test(record.method ?? '') ? 'inpainting' : /prompt|p2p/i.test(record.method ?? '') ? 'p2p' : undefined;
  const method = fileMethod ?? rowMethod ?? (record.mask_id ? 'inpainting' : 'p2p');
  const key = `${pid}_${dataset}_${model}`;
  return {
    // join makes one flat string; a template literal would keep a tree of its parts (2 × the memory, per edit)
    id: [method, '/', dataset, '/', key, '.png'].join(''),
    dataset,
    imageId: pairIdOf(imageId, dataset),
    method,
    model,
    group: { method, dataset, model, languageModel: (record.language_model ?? '').trim() },
    key,
  };
}

const realIdOf = (dataset: string, imageId: string) => `original/images/${dataset}/${imageId}${FILE_TYPE_MAP[dataset] ?? ''}`;

/** Adds the Evalset's column names to an edit's meta (keeping the release's own); returns its pair id. */
function evalsetMeta(meta: Record<string, string>, id: string): string {
  const method = id.startsWith('inpainting/') ? 'inpainting' : 'p2p';
  const dataset = meta.dataset.trim();
  const pairId = pairIdOf(cell(meta, 'img_id').trim(), dataset);
  Object.assign(meta, {
    image_id: pairId,
    image_path: id,
    label: 'fake',
    method,
    model: canonicalModel(cell(meta, 'diffusion_model').trim()),
  });
  if (method === 'inpainting') {
    // The inpainted image is named after its mask (perturbed_img_id is the mask_id), §3.
    meta.mask_id ||= cell(meta, 'perturbed_img_id').trim();
    meta.mask_path ||= `original/masks/${dataset}/${meta.mask_id}.png`;
    meta.ratio ||= meta.area_ratio ?? '';
  }
  return pairId;
}

/** The stem of a member's file name, with an old model alias (`_OJ`) read as its model. */
function editKey(name: string): string {
  const base = memberPath(name).split('/').pop()!;
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  const alias = /_(OJ|SDv4|SDv5)$/.exec(stem);
  return alias ? stem.slice(0, -alias[0].length) + '_' + MODEL_ALIASES[alias[1]] : stem;
}

const stemOf = (name: string) => {
  const base = memberPath(name).split('/').pop()!;
  return base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
};

/**
 * The groups of a release folder: one per folder of archives (or extracted folder), keyed by that folder. An
 * edit's group is its dataset × model folder; in the older prompt layout, the dataset's folder.
 */
class ReleaseLayout {
  private readonly byKey = new Map<string, ArchiveGroup>();
  private readonly archivesIn = new Map<string, string[]>();
  /** An edit's group by its method, dataset, model and language model (finding it scans the archive folders). */
  private readonly editGroups = new Map<string, EditRows>();

  constructor(
    private readonly root: string,
    archives: string[],
    private readonly edits: Edits,
  ) {
    for (const archive of archives) {
      const key = groupKeyOf(archive);
      if (key === undefined) continue;
      const list = this.archivesIn.get(key) ?? [];
      list.push(archive);
      this.archivesIn.set(key, list);
    }
  }

  realGroup(dataset: string): ArchiveGroup & { expected: Map<string, string> } {
    return this.make(`original/images/${dataset}`, () => new Map<string, string>(), (expected) => (name) => expected.get(pairIdOf(stemOf(name), dataset)));
  }

  /** Masks are looked up by stem (`{mask_id}`), whatever their extension. */
  maskGroup(dataset: string): ArchiveGroup {
    return this.make(`original/masks/${dataset}`, () => new Map<string, string>(), () => (name) => stemOf(name));
  }

  /** An edit's group (its rows). */
  group(edit: Edit['group']): EditRows {
    const { method, dataset, model, languageModel } = edit;
    const memo = `${method}\u0000${dataset}\u0000${model}\u0000${languageModel}`;
    let rows = this.editGroups.get(memo);
    if (!rows) this.editGroups.set(memo, (rows = this.findGroup(edit)));
    return rows;
  }

  private findGroup({ method, dataset, model, languageModel }: Edit['group']): EditRows {
    let key = `inpainting/${dataset}/${model}`;
    if (method === 'p2p') {
      // The later layout (its language model's folder, else any), else the older one; archives before folders.
      const later = [...this.archivesIn.keys()].filter((k) => k.startsWith('prompt-based-editing/') && k.endsWith(`/${dataset}/${model}`) && k.split('/').length === 4);
      const older = `prompt-based-editing/${dataset}`;
      const laterFolder = `prompt-based-editing/${languageModel || 'LlaVA-Hermes'}/${dataset}/${model}`;
      key =
        later.find((k) => k === laterFolder) ??
        later[0] ??
        (this.archivesIn.has(older) ? older : existsSync(join(this.root, laterFolder)) ? laterFolder : existsSync(join(this.root, older)) ? older : laterFolder);
    }
    const prefix = `${method}/${dataset}/`;
    return this.make(key, () => new EditRows(this.edits, prefix), (rows) => (name) => rows.match(editKey(name))).expected;
  }

  groups(): ArchiveGroup[] {
    return [...this.byKey.values()].filter((g) => g.expected.size > 0).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private make<Rows extends GroupRows>(key: string, rows: () => Rows, matcher: (expected: Rows) => (name: string) => string | undefined): ArchiveGroup & { expected: Rows } {
    let group = this.byKey.get(key) as (ArchiveGroup & { expected: Rows }) | undefined;
    if (!group) {
      const expected = rows();
      group = { key, archives: this.archivesIn.get(key) ?? [], folder: key, expected, match: matcher(expected) };
      this.byKey.set(key, group);
    }
    return group;
  }
}

/** The group an archive of the release belongs to (its folder; per dataset under original/), if it is one. */
function groupKeyOf(archive: string): string | undefined {
  const original = /^original\/(images|masks)\/(.+)_\1_\d+\.tar\.bz2$/.exec(archive);
  if (original) return `original/${original[1]}/${original[2]}`;
  const parts = archive.split('/');
  if (parts[0] === 'inpainting' && parts.length === 4) return parts.slice(0, 3).join('/');
  if (parts[0] === 'prompt-based-editing' && (parts.length === 3 || parts.length === 5)) return parts.slice(0, -1).join('/');
  return undefined;
}
