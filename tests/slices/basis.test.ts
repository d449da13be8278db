import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignSlices } from '../../src/slices/assign.js';
import { readHeader, readMetadata } from '../../src/slices/metadata.js';
import { planSlices } from '../../src/slices/plan.js';
import { SEMITRUTHS_SLICES } from '../../src/slices/semitruths.js';
import { tempDir } from '../helpers.js';

/** Each area slice's groups: value → the image paths in it. */
async function areaGroups(rows: string[]) {
  const dir = tempDir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'metadata.csv'), `${rows.join('\n')}\n`);
  const specs = SEMITRUTHS_SLICES.filter((s) => ['area_ratio', 'area_ratio_5bin', 'area_ratio_paper'].includes(s.name));
  const plan = planSlices(specs, readHeader(join(dir, 'data')));
  const meta = await readMetadata(join(dir, 'data'), plan.needs);
  return Object.fromEntries(
    assignSlices(plan.slices, meta).map((s) => {
      const groups: Record<string, string[]> = {};
      s.codes.forEach((c, i) => c >= 0 && (groups[s.values[c]] ??= []).push(meta.ids.key(i)));
      return [s.name, groups];
    }),
  );
}

// `semibench generate --methods inpainting,p2p` + measure: p2p edits have no source mask, so no area_ratio nor its bins
const HEADER = 'image_id,image_path,dataset,label,method,area_ratio,area_ratio_category3,area_ratio_category';
const ROWS = ['a,r/a.png,X,real,,,,', 'a,i/a1.png,X,fake,inpainting,0.1,small,bin1', 'a,i/a2.png,X,fake,inpainting,0.5,medium,bin3', 'a,i/a3.png,X,fake,inpainting,0.9,large,bin5', 'a,p/a.png,X,fake,p2p,,,'];

describe('area_ratio slices and rows outside their basis (method = inpainting)', () => {
  it('leave p2p rows out of the slice when the bins come from a category column, as when they are computed', async () => {
    const released = await areaGroups([HEADER, ...ROWS]);
    expect(released.area_ratio).toEqual({ small: ['i/a1.png'], medium: ['i/a2.png'], large: ['i/a3.png'] });
    expect(released.area_ratio_5bin).toEqual({ bin1: ['i/a1.png'], bin3: ['i/a2.png'], bin5: ['i/a3.png'] });
    expect(released.area_ratio_paper).toEqual({ small: ['i/a1.png'], medium: ['i/a2.png'], large: ['i/a3.png'] });
    const computed = await areaGroups([HEADER.replace(/,area_ratio_category.*/, ''), ...ROWS.map((r) => r.split(',').slice(0, 6).join(','))]);
    for (const name of ['area_ratio', 'area_ratio_5bin', 'area_ratio_paper']) expect(Object.values(computed[name]).flat().sort(), name).toEqual(['i/a1.png', 'i/a2.png', 'i/a3.png']);
  });

  it('an inpainting row without a category value stays in (missing)', async () => {
    const groups = await areaGroups([HEADER, ...ROWS, 'a,i/a4.png,X,fake,inpainting,,,']);
    expect(groups.area_ratio['(missing)']).toEqual(['i/a4.png']);
  });
});
