import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_IMAGE_PIXELS, decodeImage, ImageDecodeError } from '../../src/image/decode.js';
import { runDetectors } from '../../src/runner/run.js';
import { chunk } from '../../src/runner/stream.js';
import { tempDir, testConfig } from '../helpers.js';

const dir = tempDir('semibench-bounded-');

const solidPng = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 30, g: 60, b: 90 } } }).png({ compressionLevel: 1 }).toBuffer();

async function* items<T>(values: T[]): AsyncGenerator<T> {
  yield* values;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

describe('per-image pixel limit', () => {
  it('refuses an image over the default limit from its header, with its size, and decodes one at the limit', async () => {
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(4096 * 4096);
    const over = await solidPng(4097, 4096);
    await expect(decodeImage(over)).rejects.toThrow(/image 4097x4096 \(16\.8 MP\) is over the 16\.8 MP limit per image \(maxImagePixels\)/);
    const file = join(dir, 'over.png');
    writeFileSync(file, over);
    await expect(decodeImage(file)).rejects.toMatchObject({ source: file });
    const at = await decodeImage(await solidPng(4096, 4096));
    expect([at.width, at.height]).toEqual([4096, 4096]);
  });

  it('reads the limit from the caller; libvips never decodes a 16000² image', async () => {
    const png = await solidPng(20, 10);
    await expect(decodeImage(png, { maxPixels: 199 })).rejects.toBeInstanceOf(ImageDecodeError);
    expect((await decodeImage(png, { maxPixels: 200 })).width).toBe(20);
    const huge = await solidPng(16000, 16000);
    const before = process.memoryUsage().rss;
    await expect(decodeImage(huge)).rejects.toThrow(/16000x16000 \(256\.0 MP\)/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024); // a decode would take 768 MB
  }, 30_000);
});

describe('semibench run on images too large or too small', () => {
  it('gives an over-limit image (maxImagePixels) and a 1x1 image clear error rows and scores the rest', async () => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'ok.png'), await solidPng(64, 48));
    writeFileSync(join(data, 'wide.png'), await solidPng(200, 100));
    writeFileSync(join(data, 'dot.png'), await solidPng(1, 1));
    writeFileSync(join(data, 'metadata.csv'), 'image_id,image_path,dataset,label\na,ok.png,X,real\nb,wide.png,X,fake\nc,dot.png,X,fake\n');
    const result = await runDetectors(testConfig({ data, detectors: ['npr-residual'], maxImagePixels: 10_000 }));
    const rows = parse(readFileSync(result.predictionsFile), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.status)).toEqual(['ok', 'error', 'error']);
    expect(rows[1].error).toContain('image 200x100 (20000 pixels) is over the 10000 pixels limit per image (maxImagePixels)');
    expect(rows[2].error).toContain("image 1x1 is smaller than the 4x4 that 'npr-residual' needs");
  }, 30_000);
});

describe('batches close by tensor bytes', () => {
  it('keeps batchSize for small items and splits heavy ones, never leaving an item out', async () => {
    const weights = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    expect((await collect(chunk(items(weights), 8, 64, (w) => w))).map((b) => b.length)).toEqual([8, 2]);
    const heavy = [40, 40, 40, 100, 10, 10];
    expect(await collect(chunk(items(heavy), 8, 64, (w) => w))).toEqual([[40], [40], [40], [100], [10, 10]]);
    expect(await collect(chunk(items([1, 2, 3]), 2))).toEqual([[1, 2], [3]]);
  });
});
