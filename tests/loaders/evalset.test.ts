import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvalsetSource, FolderSource, openDataSource, sampleContext, type Sample } from '../../src/loaders/index.js';
import { UserError } from '../../src/util/errors.js';
import { copyEvalset, FIXTURE_EVALSET, tempDir } from '../helpers.js';

async function collect(source: { samples(): AsyncIterable<Sample> }): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of source.samples()) out.push(s);
  return out;
}

describe('Evalset loader', () => {
  it('streams every row of the bundled eval set with labels, pair ids and metadata', async () => {
    const samples = await collect(new EvalsetSource(FIXTURE_EVALSET));
    expect(samples).toHaveLength(64);
    expect(samples.filter((s) => s.label === 0)).toHaveLength(16);
    const real = samples[0];
    expect(real).toMatchObject({ label: 0, id: 'original/images/ADE20K/ADE_train_00000001.jpg', pairId: 'ADE_train_00000001' });
    expect(real.path).toBe(join(FIXTURE_EVALSET, real.id));
    const fake = samples[1];
    expect(fake.label).toBe(1);
    expect(fake.pairId).toBe(real.pairId);
    expect(fake.meta.method).toBe('inpainting');
    expect(Number(fake.meta.ratio)).toBeGreaterThan(0);
    // every source dataset, both methods, every editing model are present
    expect(new Set(samples.map((s) => s.meta.dataset)).size).toBe(4);
    expect(new Set(samples.filter((s) => s.label).map((s) => s.meta.model)).size).toBe(5);
  });

  it('keeps unknown columns as metadata', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metadata.csv'), 'image_id,image_path,dataset,label,my_extra\na,a.png,X,real,hello\n');
    const [s] = await collect(new EvalsetSource(dir));
    expect(s.meta.my_extra).toBe('hello');
  });

  it('names a missing required column, with the near miss', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metadata.csv'), 'image_id,image_pth,dataset,label\na,a.png,X,real\n');
    await expect(collect(new EvalsetSource(dir))).rejects.toThrow(/missing the required column 'image_path' \(found 'image_pth'/);
  });

  it('rejects a bad label with the line number', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metadata.csv'), 'image_id,image_path,dataset,label\na,a.png,X,maybe\n');
    await expect(collect(new EvalsetSource(dir))).rejects.toThrow(/metadata.csv:2: label 'maybe'/);
  });

  it('keeps the first row of a repeated image_path and lists the repeats; strict makes it an error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metadata.csv'), 'image_id,image_path,dataset,label\na,a.png,X,real\nb,a.png,X,fake\nc,c.png,X,fake\nd,a.png,X,fake\n');
    const source = new EvalsetSource(dir);
    const samples = await collect(source);
    expect(samples.map((s) => [s.id, s.pairId, s.label])).toEqual([['a.png', 'a', 0], ['c.png', 'c', 1]]);
    expect(source.duplicates).toEqual([
      { line: 3, imagePath: 'a.png', firstLine: 2 },
      { line: 5, imagePath: 'a.png', firstLine: 2 },
    ]);
    await collect(source); // a second pass starts a fresh list
    expect(source.duplicates).toHaveLength(2);
    await expect(collect(new EvalsetSource(dir, { strict: true }))).rejects.toThrow(/:3: image_path 'a.png' appears twice \(first on line 2\)/);
  });

  // run_1.py: a path naming no .png/.jpg/.jpeg gets file_type_map[first dataset in the path]; the CelebAHQ real
  // image's id is a bare number that final_bins.py pads to CelebA_%05d.
  it("reads extension-less paths and bare CelebAHQ ids as run_1.py does", async () => {
    const dir = tempDir();
    const rows = [
      'image_id,image_path,dataset,label',
      '20046,original/images/CelebAHQ/20046,CelebAHQ,real',
      'CelebA_20046,inpainting/CelebAHQ/20046_mouth_CelebAHQ_Kandinsky_2_2,CelebAHQ,fake',
      '733,original/images/CelebAHQ/733.jpg,CelebAHQ,real',
      'frankfurt_000000_000294,original/images/CityScapes/frankfurt_000000_000294,CityScapes,real',
      'ADE_1,p2p/ADE20K/ADE_1.jpeg_x,ADE20K,fake',
      '20046,original/images/Other/20046,Other,real',
    ];
    writeFileSync(join(dir, 'metadata.csv'), `${rows.join('\n')}\n`);
    const samples = await collect(new EvalsetSource(dir));
    expect(samples.map((s) => [s.id, s.path.slice(dir.length + 1), s.pairId])).toEqual([
      ['original/images/CelebAHQ/20046', 'original/images/CelebAHQ/20046.jpg', 'CelebA_20046'],
      ['inpainting/CelebAHQ/20046_mouth_CelebAHQ_Kandinsky_2_2', 'inpainting/CelebAHQ/20046_mouth_CelebAHQ_Kandinsky_2_2.jpg', 'CelebA_20046'],
      ['original/images/CelebAHQ/733.jpg', 'original/images/CelebAHQ/733.jpg', 'CelebA_00733'],
      ['original/images/CityScapes/frankfurt_000000_000294', 'original/images/CityScapes/frankfurt_000000_000294.png', 'frankfurt_000000_000294'],
      ['p2p/ADE20K/ADE_1.jpeg_x', 'p2p/ADE20K/ADE_1.jpeg_x', 'ADE_1'], // contains '.jpeg': run_1 leaves it
      ['original/images/Other/20046', 'original/images/Other/20046', '20046'], // no known dataset: unchanged
    ]);
  });

  it('reports a row with the wrong number of cells as a user error with its line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metadata.csv'), 'image_id,image_path,dataset,label\na,a.png,X,real\nb,b.png,X\n');
    const error = await collect(new EvalsetSource(dir)).catch((e) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/metadata\.csv:3: 3 fields, but the header has 4 columns/);
  });

  it('picks the loader from the folder shape and explains an unknown one', async () => {
    expect(openDataSource(FIXTURE_EVALSET)).toBeInstanceOf(EvalsetSource);
    const dir = copyEvalset();
    const folder = join(dir, 'original/images');
    expect(() => openDataSource(folder)).toThrow(/neither an Evalset/);
  });
});

describe('sampleContext (what the semitruths-run1 protocol reads)', () => {
  it("gives a fake row's mask, decoded from mask_path, and none where pandas would read NaN", async () => {
    const samples = await collect(new EvalsetSource(FIXTURE_EVALSET));
    const fake = samples.find((s) => s.meta.mask_path)!;
    const context = sampleContext(fake);
    expect(context.key).toBe(fake.id);
    const mask = await context.mask!();
    expect(mask.width * mask.height).toBeGreaterThan(0);
    for (const cell of ['', 'NA', 'nan', 'None']) expect(sampleContext({ ...fake, meta: { ...fake.meta, mask_path: cell } }).mask).toBeUndefined();
    await expect(sampleContext({ ...fake, meta: { ...fake.meta, mask_path: 'masks/gone.png' } }).mask!()).rejects.toThrow(/gone\.png/);
  });
});

describe('Folder loader', () => {
  it('labels real/ as 0 and fake/ as 1, recursively and in sorted order', async () => {
    const dir = tempDir();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'real/sub'), { recursive: true });
    mkdirSync(join(dir, 'fake'), { recursive: true });
    for (const f of ['real/b.png', 'real/sub/a.jpg', 'fake/c.png', 'fake/notes.txt']) writeFileSync(join(dir, f), '');
    const samples = await collect(openDataSource(dir) as FolderSource);
    expect(samples.map((s) => [s.id, s.label])).toEqual([
      ['real/b.png', 0],
      ['real/sub/a.jpg', 0],
      ['fake/c.png', 1],
    ]);
  });
});
