import { readFileSync, truncateSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha256 } from '../../src/detectors/adapter.js';
import { decodeImage } from '../../src/image/decode.js';
import { openDataSource, readSampleFile } from '../../src/loaders/index.js';
import { runDetectors } from '../../src/runner/run.js';
import type { Progress } from '../../src/runner/progress.js';
import { FIXTURE_EVALSET, predictionsWithoutTiming, removeTempDirs, testConfig } from '../helpers.js';

// Every decode the runner does goes through this spy (the real decoder underneath).
vi.mock('../../src/image/decode.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/image/decode.js')>();
  return { ...real, decodeImage: vi.fn(real.decodeImage) };
});
const decoder = vi.mocked(decodeImage);

/** The eval set's image files, by content hash. */
const files = new Set<string>();
for await (const s of openDataSource(FIXTURE_EVALSET).samples()) files.add(sha256(await readSampleFile(s)));
/** Decodes of an eval set file (JPEG and WebP conditions decode their re-encoded bytes too: not counted). */
const decodes = { count: () => decoder.mock.calls.filter(([input]) => Buffer.isBuffer(input) && files.has(sha256(input))).length, mockClear: () => decoder.mockClear() };

afterAll(removeTempDirs);
beforeEach(() => {
  decoder.mockClear(); // a returned function would be taken for a cleanup hook
});

const CONDITIONS = ['jpeg:75', 'crop:0.8'];
const SAMPLES = 64;

/** Data rows of predictions.csv as [detector, condition, sample_id]. */
const keys = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',')).map((c) => [c[1], c[11], c[0]]);

/** Stops the run, like a kill, once the second detector has this many rows durable (ticks follow each appended batch). */
const killInSecondDetector = (rows: number): Progress => {
  let started = 0;
  return {
    start: () => void started++,
    stop() {},
    tick(done) {
      if (started === 2 && done >= rows) throw new Error('killed');
    },
  };
};

describe('one decode per image and detector, whatever the number of conditions', () => {
  it('decodes each image once per detector for 3 conditions, and the rows equal the condition-by-condition layout', async () => {
    const config = testConfig({ conditions: CONDITIONS, batchSize: 5 });
    const result = await runDetectors(config);
    expect(decodes.count()).toBe(SAMPLES * 2);
    expect(result.detectors.map((d) => [d.name, d.counts.ok, d.counts.error])).toEqual([['npr-residual', SAMPLES * 3, 0], ['spectral-hf', SAMPLES * 3, 0]]);
    // the finished file holds each (detector, condition) group together, in the data's order
    const rows = keys(result.predictionsFile);
    const groups = [...new Set(rows.map(([d, c]) => `${d} ${c}`))];
    expect(groups).toEqual(['npr-residual none', 'npr-residual jpeg:75', 'npr-residual crop:0.8', 'spectral-hf none', 'spectral-hf jpeg:75', 'spectral-hf crop:0.8']);
    const order = rows.slice(0, SAMPLES).map((r) => r[2]);
    for (let g = 1; g < 6; g++) expect(rows.slice(g * SAMPLES, (g + 1) * SAMPLES).map((r) => r[2])).toEqual(order);

    // all rows stored: a rerun decodes nothing; a new condition decodes each image once more, the others reused
    decodes.mockClear();
    const again = await runDetectors(config);
    expect(decodes.count()).toBe(0);
    expect(again.detectors.map((d) => d.counts.resumed)).toEqual([SAMPLES * 3, SAMPLES * 3]);
    const more = await runDetectors({ ...config, conditions: [...CONDITIONS, 'resize:0.5'] });
    expect(decodes.count()).toBe(SAMPLES * 2);
    expect(more.detectors.map((d) => [d.counts.ok, d.counts.resumed])).toEqual([[SAMPLES, SAMPLES * 3], [SAMPLES, SAMPLES * 3]]);
  });

  it('killed mid-pass (conditions interleaved, torn last line) resumes per condition, decoding only images still missing a row', async () => {
    const reference = testConfig({ conditions: CONDITIONS, batchSize: 5 });
    await runDetectors(reference);

    const config = testConfig({ conditions: CONDITIONS, batchSize: 5 });
    await expect(runDetectors(config, killInSecondDetector(50))).rejects.toThrow('killed');
    const file = `${config.out}/predictions.csv`;
    const text = readFileSync(file, 'utf8');
    truncateSync(file, text.length - 7); // a torn last line, cut off when the file is reopened
    const left = keys(file).slice(0, -1);
    // the second detector's rows were written interleaved: every condition has some, none has all
    const second = left.filter(([d]) => d === 'spectral-hf');
    for (const c of ['none', ...CONDITIONS]) expect(second.filter((r) => r[1] === c).length).toBeGreaterThan(0);
    expect(second.length).toBeLessThan(SAMPLES * 3);

    decodes.mockClear();
    const resumed = await runDetectors(config);
    const stored = (d: string) => left.filter((r) => r[0] === d).length;
    const incomplete = (d: string) => new Set(left.filter((r) => r[0] === d).map((r) => r[2])).size;
    const complete = (d: string) => [...new Set(left.filter((r) => r[0] === d).map((r) => r[2]))].filter((id) => left.filter((r) => r[0] === d && r[2] === id).length === 3).length;
    expect(incomplete('spectral-hf')).toBeGreaterThan(complete('spectral-hf'));
    // one decode per image that still lacks some condition's row
    expect(decodes.count()).toBe(SAMPLES - complete('spectral-hf'));
    expect(resumed.detectors.map((d) => [d.counts.resumed, d.counts.ok])).toEqual([
      [SAMPLES * 3, 0],
      [stored('spectral-hf'), SAMPLES * 3 - stored('spectral-hf')],
    ]);
    expect(predictionsWithoutTiming(config.out)).toEqual(predictionsWithoutTiming(reference.out));
  });
});
