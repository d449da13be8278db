import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSourceSet } from '../../../src/generation/generate/source.js';
import { UserError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(files: Record<string, string>): string {
  const dir = tempDir('semibench-source-');
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const HEADER = 'image_id,image_path,dataset,entities,class,mask_id,mask_path,mask_name,ratio\n';
// The authors' data/input/metadata.csv example row (semi-truths-dataset.md §3), then the two rows filter_labels drops.
const ROWS = [
  `ADE_train_00014889,images/ADE20K/ADE_train_00014889.jpg,ADE20K,"['sky', 'grass', 'fence', 'plants', 'plant', 'path', 'field', 'house', 'trees']","['path', 'grass', 'house']",instance_004_ADE_train_00014889,masks/ADE20K/instance_004_ADE_train_00014889.png,trees,0.0659561157226562`,
  `img_05093,images/HumanParsing/img_05093.png,HumanParsing,"['Skirt', 'Bag']",person,img_05093_Upperclothes,masks/HumanParsing/img_05093_Upperclothes.png,Upper-clothes,0.1296920776367187`,
  `img_05093,images/HumanParsing/img_05093.png,HumanParsing,"['Skirt', 'Bag']",person,img_05093_Background,masks/HumanParsing/img_05093_Background.png,NA,0.5`,
  `img_05093,images/HumanParsing/img_05093.png,HumanParsing,"['Skirt', 'Bag']",person,img_05093_Whole,masks/HumanParsing/img_05093_Whole.png,Skirt,1000.0`,
];

describe('source set: the authors\' data/input layout', () => {
  it('reads every column verbatim, resolves paths inside the folder, and counts the filter_labels skips', async () => {
    const dir = folder({ 'metadata.csv': HEADER + ROWS.join('\n') + '\n' });
    const source = await loadSourceSet(dir);
    expect(source.layout).toBe('authors');
    expect(source.skipped).toEqual({ 'mask_name NA': 1, 'ratio 1000.0': 1 });
    expect(source.masks.map((m) => m.maskId)).toEqual(['instance_004_ADE_train_00014889', 'img_05093_Upperclothes']);
    const first = source.masks[0];
    expect(first).toMatchObject({
      imageId: 'ADE_train_00014889',
      imageRelPath: 'images/ADE20K/ADE_train_00014889.jpg',
      imagePath: join(dir, 'images/ADE20K/ADE_train_00014889.jpg'),
      dataset: 'ADE20K',
      entities: "['sky', 'grass', 'fence', 'plants', 'plant', 'path', 'field', 'house', 'trees']",
      className: "['path', 'grass', 'house']",
      maskPath: join(dir, 'masks/ADE20K/instance_004_ADE_train_00014889.png'),
      maskName: 'trees',
      ratio: '0.0659561157226562',
    });
    expect(source.masks[1].className).toBe('person');
  });

  it('refuses a path that leaves the input folder, a missing column and a repeated mask_id, each in one line', async () => {
    const escape = folder({ 'metadata.csv': HEADER + ROWS[0].replace('images/ADE20K/', '../../etc/') + '\n' });
    await expect(loadSourceSet(escape)).rejects.toThrow(/metadata.csv:2: path '..\/..\/etc\/ADE_train_00014889.jpg' leaves the input folder/);
    const absolute = folder({ 'metadata.csv': HEADER + ROWS[0].replace('masks/ADE20K/', '/tmp/') + '\n' });
    await expect(loadSourceSet(absolute)).rejects.toThrow(/leaves the input folder/);
    const misspelt = folder({ 'metadata.csv': HEADER.replace('mask_name', 'mask_nme') + ROWS[0] + '\n' });
    await expect(loadSourceSet(misspelt)).rejects.toThrow(/missing the column 'mask_name' \(found 'mask_nme': misspelt\?\)/);
    const twice = folder({ 'metadata.csv': HEADER + ROWS[0] + '\n' + ROWS[0] + '\n' });
    await expect(loadSourceSet(twice)).rejects.toThrow(/metadata.csv:3: mask_id 'instance_004_ADE_train_00014889' appears twice/);
    for (const dir of [escape, misspelt, twice]) await expect(loadSourceSet(dir)).rejects.toBeInstanceOf(UserError);
  });
});

describe('source set: a plain folder of photos and one mask folder', () => {
  it('pairs each mask with the longest photo name it starts with; the rest of its name is the object label', async () => {
    const dir = folder({
      'images/street.jpg': 'x',
      'images/street_2.png': 'x',
      'images/notes.txt': 'not an image',
      'masks/street_parked_car.png': 'x',
      'masks/street_2_tree.png': 'x',
    });
    const source = await loadSourceSet(dir);
    expect(source.layout).toBe('folder');
    expect(source.masks.map((m) => [m.imageId, m.maskId, m.maskName, m.imageRelPath, m.dataset])).toEqual([
      ['street_2', 'street_2_tree', 'tree', 'images/street_2.png', 'custom'],
      ['street', 'street_parked_car', 'parked car', 'images/street.jpg', 'custom'],
    ]);
  });

  it('names the fix when a mask matches no photo, and when the folder has neither layout', async () => {
    const orphan = folder({ 'images/street.jpg': 'x', 'masks/car.png': 'x' });
    await expect(loadSourceSet(orphan)).rejects.toThrow(/masks\/car.png: no photo in images\/ matches; name each mask \{photo name\}_\{object label\}/);
    const neither = folder({ 'photo.jpg': 'x' });
    await expect(loadSourceSet(neither)).rejects.toThrow(/is not a source set: it needs metadata.csv .* or images\/ \+ masks\//);
  });
});
