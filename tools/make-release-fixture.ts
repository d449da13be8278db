/**
 * Builds a small folder shaped like the full Semi-Truths release (semi-truths-dataset.md §3) from the bundled
 * eval set, with the system tar and bzip2, and beside it the same files extracted:
 *
 *   npx tsx tools/make-release-fixture.ts OUT_DIR [--damaged]
 *
 * OUT_DIR/release:   original/images/{DS}_images_{k}.tar.bz2, original/masks/{DS}_masks_{k}.tar.bz2,
 *                    inpainting/{DS}/{Model}/{DS}_{Model}_{k}.tar.bz2 + {DS}_{Model}_meta.csv,
 *                    prompt-based-editing/{DS}/{OJ|SDv4|SDv5}_{DS}_0.tar.bz2 (older layout: ADE20K, CelebAHQ),
 *                    prompt-based-editing/LlaVA-Hermes/{DS}/{Model}/{DS}_{Model}_0.tar.bz2 (later layout),
 *                    metadata/edited/prompt-based-editing.csv
 * OUT_DIR/extracted: the same metadata, each archive unpacked where it lies (`tar -xjf` in its folder), no archives.
 *
 * Edits of a group are split over parts `_0`, `_1`; CelebAHQ photos are named `20040.jpg` as released (their
 * img_id is `CelebA_20040`); one photo no metadata row names (an orphan member) and one metadata row without an
 * image are added. --damaged replaces one part by a 46-byte Git-LFS stub and truncates another (see DAMAGE).
 * Members are written in name order, so a run on either folder scores the images in the same order.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

const EVALSET = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/evalset');

/** Which archives --damaged breaks (relative to the release folder). */
export const DAMAGE = {
  stub: 'inpainting/OpenImages/StableDiffusion_XL/OpenImages_StableDiffusion_XL_1.tar.bz2',
  truncated: 'original/images/CityScapes_images_1.tar.bz2',
} as const;
/** The photo no row names, and the row whose image is in no archive. */
export const ORPHAN_MEMBER = 'OpenImages/oi_orphan.jpg';
export const MISSING_ROW = 'inpainting/ADE20K/instance_009_ADE_train_00000001_ADE20K_StableDiffusion_XL.png';

const OLD_PROMPT_LAYOUT = new Set(['ADE20K', 'CelebAHQ']);
const ALIASES: Record<string, string> = { OpenJourney: 'OJ', StableDiffusion_v4: 'SDv4', StableDiffusion_v5: 'SDv5' };
const COLUMNS = ['img_id', 'perturbed_img_id', 'original_caption', 'perturbed_caption', 'dataset', 'diffusion_model', 'language_model', 'sem_magnitude', 'post_edit_ratio', 'ssim', 'mse', 'lpips_score', 'dreamsim', 'sen_sim', 'largest_component_size', 'cc_clusters', 'cluster_dist', 'pass_qc'];
const INPAINT_COLUMNS = [...COLUMNS, 'mask_id', 'mask_name', 'area_ratio'];

export function makeReleaseFixture(out: string, options: { damaged?: boolean } = {}): { release: string; extracted: string } {
  const release = join(out, 'release');
  const extracted = join(out, 'extracted');
  const rows = parse(readFileSync(join(EVALSET, 'metadata.csv')), { columns: true }) as Record<string, string>[];
  /** Files per group folder of the extracted layout: [path below the folder, source file]. */
  const groups = new Map<string, [member: string, source: string, archive: (k: number) => string][]>();
  const add = (folder: string, archive: (k: number) => string, member: string, source: string) => {
    if (!groups.has(folder)) groups.set(folder, []);
    groups.get(folder)!.push([member, source, archive]);
  };
  const inpaintMeta = new Map<string, Record<string, string>[]>();
  const promptMeta: Record<string, string>[] = [];
  for (const row of rows) {
    const ds = row.dataset;
    if (row.label === 'real') {
      const file = basename(row.image_path);
      const released = ds === 'CelebAHQ' ? file.replace(/^CelebA_/, '') : file;
      add(`original/images/${ds}`, (k) => `original/images/${ds}_images_${k}.tar.bz2`, `${ds}/${released}`, join(EVALSET, row.image_path));
      continue;
    }
    const model = row.model;
    const file = basename(row.image_path);
    const pid = file.slice(0, -`_${ds}_${model}.png`.length);
    const record: Record<string, string> = {
      img_id: row.image_id,
      perturbed_img_id: pid,
      original_caption: row.mask_name,
      perturbed_caption: row.perturbed_mask_name,
      dataset: ds,
      diffusion_model: model,
      language_model: row.language_model,
      sem_magnitude: row.sem_magnitude,
      post_edit_ratio: row.post_edit_ratio,
      ssim: row.ssim,
      mse: row.mse,
      lpips_score: row.lpips_score,
      dreamsim: row.dreamsim,
      sen_sim: row.sen_sim,
      largest_component_size: row.largest_component_size,
      cc_clusters: row.cc_clusters,
      cluster_dist: row.cluster_dist,
      pass_qc: row.pass_qc,
    };
    if (row.method === 'inpainting') {
      const folder = `inpainting/${ds}/${model}`;
      // ADE20K's members carry their folders, the others are bare names: the release's are not known.
      add(folder, (k) => `${folder}/${ds}_${model}_${k}.tar.bz2`, ds === 'ADE20K' ? `${folder}/${file}` : file, join(EVALSET, row.image_path));
      add(`original/masks/${ds}`, (k) => `original/masks/${ds}_masks_${k}.tar.bz2`, `${ds}/${row.mask_id}.png`, join(EVALSET, row.mask_path));
      const list = inpaintMeta.get(folder) ?? [];
      list.push({ ...record, mask_id: row.mask_id, mask_name: row.mask_name, area_ratio: row.area_ratio });
      inpaintMeta.set(folder, list);
    } else if (OLD_PROMPT_LAYOUT.has(ds)) {
      const folder = `prompt-based-editing/${ds}`;
      // One archive per model, named by its alias; members in a folder per model.
      add(folder, () => `${folder}/${ALIASES[model]}_${ds}_0.tar.bz2`, `${model}/${file}`, join(EVALSET, row.image_path));
      promptMeta.push(record);
    } else {
      const folder = `prompt-based-editing/LlaVA-Hermes/${ds}/${model}`;
      add(folder, (k) => `${folder}/${ds}_${model}_${k}.tar.bz2`, file, join(EVALSET, row.image_path));
      promptMeta.push(record);
    }
  }
  add('original/images/OpenImages', (k) => `original/images/OpenImages_images_${k}.tar.bz2`, ORPHAN_MEMBER, join(EVALSET, 'original/images/OpenImages/oi_3a5f00.jpg'));
  const ade = inpaintMeta.get('inpainting/ADE20K/StableDiffusion_XL')!;
  ade.push({ ...ade[0], perturbed_img_id: 'instance_009_ADE_train_00000001', mask_id: 'instance_009_ADE_train_00000001' });

  for (const dir of [release, extracted]) {
    for (const [folder, list] of inpaintMeta) {
      const [, ds, model] = folder.split('/');
      writeFile(join(dir, folder, `${ds}_${model}_meta.csv`), stringify(list, { header: true, columns: INPAINT_COLUMNS }));
    }
    writeFile(join(dir, 'metadata/edited/prompt-based-editing.csv'), stringify(promptMeta, { header: true, columns: COLUMNS }));
  }
  for (const [folder, members] of groups) {
    members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // Extracted as `tar -xjf` in the archive's folder leaves them (original/images/{DS}_images_0 holds `{DS}/x.jpg`).
    for (const [member, source, archive] of members) writeFile(join(extracted, dirname(archive(0)), member), readFileSync(source));
    // A group's members in two parts, _0 then _1, in name order.
    const parts = new Map<string, string[]>();
    members.forEach(([member, , archive], i) => {
      const name = archive(members.length > 1 && i >= members.length / 2 ? 1 : 0);
      parts.set(name, [...(parts.get(name) ?? []), member]);
    });
    for (const [name, list] of parts) {
      const tar = execFileSync('tar', ['-C', join(extracted, dirname(name)), '-cf', '-', '--no-recursion', ...list], { maxBuffer: 1 << 28 });
      writeFile(join(release, name), execFileSync('bzip2', ['-1', '-c'], { input: tar, maxBuffer: 1 << 28 }));
    }
  }
  if (options.damaged) {
    writeFileSync(join(release, DAMAGE.stub), 'version https://git-lfs.github.com/spec/v1\noid sha256:'.slice(0, 46));
    const file = join(release, DAMAGE.truncated);
    truncateSync(file, Math.floor(statSync(file).size * 0.5));
  }
  return { release, extracted };
}

function writeFile(path: string, bytes: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: tsx tools/make-release-fixture.ts OUT_DIR [--damaged]');
  const made = makeReleaseFixture(resolve(out), { damaged: process.argv.includes('--damaged') });
  console.log(`release: ${made.release}\nextracted: ${made.extracted}`);
}

