import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ZOO } from '../../src/detectors/zoo/index.js';
import { preprocess } from '../../src/image/pipeline.js';
import { tempDir } from '../helpers.js';

const BIN = resolve('bin/semibench.js');
const run = promisify(execFile);

async function semibench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function csv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

describe('semibench run with stress conditions (done-when check of issue 13)', () => {
  it('run --detector all --sweep jpeg:95,75,50 --condition format:png writes per-condition slices, curves and the format verdict', async () => {
    const out = join(tempDir(), 'run');
    const { code, stdout, stderr } = await semibench(['run', '--detector', 'all', '--sweep', 'jpeg:95,75,50', '--condition', 'format:png', '--out', out]);
    expect(code, stderr).toBe(0);
    const conditions = ['none', 'jpeg:95', 'jpeg:75', 'jpeg:50', 'format:png'];
    const predictions = csv(join(out, 'predictions.csv'));
    const detectors = [...new Set(predictions.map((r) => r.detector))];
    expect(detectors.length).toBeGreaterThan(0);
    for (const d of detectors) for (const c of conditions) expect(predictions.filter((r) => r.detector === d && r.condition === c)).toHaveLength(64);
    // PNG is lossless: equalising to PNG leaves every score as it was
    const score = (d: string, c: string, id: string) => predictions.find((r) => r.detector === d && r.condition === c && r.sample_id === id)!.score;
    for (const r of predictions.filter((x) => x.condition === 'none')) expect(score(r.detector, 'format:png', r.sample_id)).toBe(r.score);

    const curves = csv(join(out, 'slices', 'robustness.csv'));
    const auc = curves.filter((r) => r.metric === 'auc');
    expect(auc).toHaveLength(detectors.length * conditions.length);
    expect(auc.filter((r) => r.op === 'jpeg').map((r) => Number(r.strength)).sort((a, b) => a - b)).toEqual(detectors.flatMap(() => [50, 75, 95]).sort((a, b) => a - b));
    for (const r of auc) {
      expect(Number(r.lo)).toBeLessThanOrEqual(Number(r.value));
      expect(Number(r.hi)).toBeGreaterThanOrEqual(Number(r.value));
    }
    // every slice per condition: the overall slice file has a row per detector and condition
    const all = csv(join(out, 'slices', 'all.csv'));
    expect(all.map((r) => r.detector).sort()).toEqual(detectors.flatMap((d) => conditions.map((c) => (c === 'none' ? d : `${d}@${c}`))).sort());

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.robustness.curves.length).toBe(curves.length);
    expect(results.formatShortcut.detectors.map((v: any) => v.detector).sort()).toEqual([...detectors].sort());
    for (const v of results.formatShortcut.detectors) {
      const png = v.checks.find((k: any) => k.condition === 'format:png' && k.metric === 'auc');
      expect(png).toMatchObject({ delta: 0, moved: false });
    }
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('## Stress conditions');
    expect(summary).toMatch(/### Format shortcut[\s\S]*no shift beyond the interval/);
    expect(stdout).toContain('Format shortcut');
    // report.html draws the JPEG sweep as a robustness curve: one line point per detector, quality and metric.
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const figure = html.slice(html.indexOf('Robustness curves'));
    expect(figure).toMatch(/<svg[\s\S]*<\/svg>/);
    for (const q of ['95', '75', '50']) expect(figure).toContain(`jpeg:${q}`);

    // a rerun resumes every condition
    const again = await semibench(['run', '--detector', 'all', '--sweep', 'jpeg:95,75,50', '--condition', 'format:png', '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ok 0, errors 0, 320 reused/);
  }, 240_000);

  it('preprocess --condition gives the detector ops applied to Pillow\'s re-encoded image', async () => {
    const manifest = JSON.parse(readFileSync('tests/goldens/conditions/manifest.json', 'utf8'));
    const out = join(tempDir(), 't.npy');
    for (const condition of ['jpeg:75', 'blur:1', 'noise:0.02']) {
      const c = manifest.cases.find((x: any) => x.input === 'rgb_97x61.png' && x.condition === condition);
      const { code, stdout, stderr } = await semibench(['preprocess', `tests/goldens/image/inputs/${c.input}`, '--detector', 'cnnspot-blur-jpg-0.1', '--protocol', 'semitruths', '--condition', condition, '--out', out]);
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`condition ${condition}`);
      const bytes = readFileSync(out);
      const headerLength = bytes.readUInt16LE(8);
      const written = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
      const [height, width] = c.expected.shape;
      const pillow = { width, height, data: new Uint8Array(gunzipSync(readFileSync(join('tests/goldens/conditions', c.expected.file)))) };
      expect(written).toEqual((await preprocess(pillow, ZOO[0].protocols.semitruths)).data);
    }
    const bad = await semibench(['preprocess', 'tests/goldens/image/inputs/rgb_97x61.png', '--detector', 'cnnspot-blur-jpg-0.1', '--condition', 'jpeg:0', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain("condition 'jpeg:0'");
  }, 120_000);

  it('refuses a bad --condition or --sweep before any image, in one line', async () => {
    const out = join(tempDir(), 'run');
    for (const args of [['--condition', 'blur:-1'], ['--sweep', 'jpeg:95'], ['--condition', 'resize:0.5:cubic']]) {
      const { code, stderr } = await semibench(['run', '--detector', 'npr-residual', '--out', out, ...args]);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);
});
