import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brisqueScore } from '../../src/generation/brisque/index.js';
import { SEMITRUTHS_QC } from '../../src/generation/qc.js';
import { decodeImage } from '../../src/image/decode.js';
import { copyEvalset, removeTempDirs } from '../helpers.js';
import { measureEvalset, readCsv } from './measure-helpers.js';

afterAll(removeTempDirs);

describe('measure computes BRISQUE and the gate applies brisque_score_perturb in [0, 70]', () => {
  it('fills both BRISQUE columns, fails exactly the out-of-range edits and counts them', async () => {
    const dir = copyEvalset();
    const result = await measureEvalset(dir, { noBrisque: false });
    const rows = readCsv(join(dir, 'metadata.csv')).rows;
    const fakes = rows.filter((r) => r.label === 'fake');
    const realPath = new Map(rows.filter((r) => r.label === 'real').map((r) => [r.image_id, r.image_path]));
    let failed = 0;
    for (const r of fakes) {
      const want = brisqueScore(await decodeImage(join(dir, r.image_path)));
      expect(Number(r.brisque_score_perturb)).toBe(want);
      expect(Number(r.brisque_score_orig)).toBe(brisqueScore(await decodeImage(join(dir, realPath.get(r.image_id)!))));
      const fails = !(want >= 0 && want <= 70);
      if (fails) failed++;
      // The fixture has no other QC score, so BRISQUE alone decides pass_qc.
      expect(r.pass_qc).toBe(fails ? '0' : '1');
    }
    expect(result.qc.rules[0]).toMatchObject({ ...SEMITRUTHS_QC.rules[0], applied: fakes.length, failed, notApplied: 0, status: 'applied' });
    // Both outcomes occur on the fixture, so the test can fail either way.
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(fakes.length);
  });
});
