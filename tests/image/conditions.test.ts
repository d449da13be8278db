import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applyCondition, expandSweep, parseCondition, runConditions } from '../../src/conditions/index.js';
import { decodeImage } from '../../src/image/decode.js';
import { sha256 } from '../../src/detectors/adapter.js';

/** Pillow 9.4 / numpy outputs of every condition, from tools/parity/make_condition_goldens.py. */
const DIR = 'tests/goldens/conditions';
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  cases: { id: string; input: string; condition: string; imageKey: string; expected: { file: string; shape: number[] } }[];
};

describe('conditions equal their Pillow/numpy reference (golden files)', () => {
  it.each(manifest.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const bytes = readFileSync(join('tests/goldens/image/inputs', c.input));
    expect(sha256(bytes).slice(0, 16)).toBe(c.imageKey); // noise is seeded by the file's hash, as in a run
    const out = await applyCondition(await decodeImage(bytes), parseCondition(c.condition), c.imageKey);
    const expected = gunzipSync(readFileSync(join(DIR, c.expected.file)));
    expect([out.height, out.width, 3]).toEqual(c.expected.shape);
    expect(Buffer.from(out.data).equals(expected)).toBe(true); // bit-exact, webp included (libwebp 1.2.4 vs 1.6.0 agree here)
  });
});

describe('condition specs', () => {
  it('names each condition canonically, expanding presets and default parameters', () => {
    expect(parseCondition('jpeg:75').name).toBe('jpeg:75');
    expect(parseCondition(' resize:0.50 + jpeg:75 ').name).toBe('resize:0.5:bicubic+jpeg:75');
    expect(parseCondition('social').name).toBe('resize:0.75:bicubic+jpeg:80');
    expect(parseCondition('blur:1.0').name).toBe('blur:1');
    expect(parseCondition('noise:0.02:0').name).toBe('noise:0.02');
    expect(parseCondition('format:jpeg:90').steps).toEqual([{ op: 'jpeg', quality: 90, format: true }]);
    expect(parseCondition('').name).toBe('none');
    expect(parseCondition('none').steps).toEqual([]);
  });

  it('refuses bad specs with a one-line message naming the part', () => {
    expect(() => parseCondition('jpeg:101')).toThrow("condition 'jpeg:101': 'jpeg:101' needs a quality, an integer in 1..100 (got '101')");
    expect(() => parseCondition('jpeg')).toThrow("'jpeg' needs a quality");
    expect(() => parseCondition('blurr:1')).toThrow("unknown op 'blurr'");
    expect(() => parseCondition('resize:0.5:cubic')).toThrow("unknown Pillow filter 'cubic'");
    expect(() => parseCondition('crop:1.5')).toThrow('a fraction in (0, 1]');
    expect(() => parseCondition('format:gif')).toThrow('format:png or format:jpeg:Q');
    expect(() => parseCondition('jpeg:75:1')).toThrow('too many');
  });

  it('expands sweeps, and a run starts with the clean condition, each condition once', () => {
    expect(expandSweep('jpeg:95,75,50')).toEqual(['jpeg:95', 'jpeg:75', 'jpeg:50']);
    expect(expandSweep('resize:0.5,0.25:bilinear')).toEqual(['resize:0.5:bilinear', 'resize:0.25:bilinear']);
    expect(() => expandSweep('jpeg:95,,50')).toThrow('--sweep');
    expect(() => expandSweep('jpeg:75')).toThrow('--sweep');
    expect(runConditions(['jpeg:75', 'jpeg:75.0', 'none']).map((c) => c.name)).toEqual(['none', 'jpeg:75']);
  });
});
