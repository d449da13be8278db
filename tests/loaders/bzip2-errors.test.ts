import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { availableDecoders } from '../../src/loaders/index.js';
import { ArchiveError, readTarBz2 } from '../../src/loaders/tar.js';
import { tempDir } from '../helpers.js';

/** Bytes that bzip2 cannot shrink (a xorshift stream), so the archive spans several 100 k blocks at -1. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const MEMBERS = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
let dir: string;
let whole: Buffer;

beforeAll(() => {
  dir = tempDir();
  const src = join(dir, 'src');
  mkdirSync(src);
  MEMBERS.forEach((name, i) => writeFileSync(join(src, name), noise(150_000, i + 1)));
  const tar = execFileSync('tar', ['-C', src, '-cf', '-', ...MEMBERS], { maxBuffer: 1 << 26 });
  whole = execFileSync('bzip2', ['-1', '-c'], { input: tar, maxBuffer: 1 << 26 });
  // A download cut short after the first block or so.
  writeFileSync(join(dir, 'cut.tar.bz2'), whole.subarray(0, Math.floor(whole.length * 0.6)));
  // A gzip'd tar under a .tar.bz2 name, and a file that starts like bzip2 and then is not.
  writeFileSync(join(dir, 'gzip.tar.bz2'), execFileSync('gzip', ['-c'], { input: tar, maxBuffer: 1 << 26 }));
  writeFileSync(join(dir, 'garbage.tar.bz2'), Buffer.concat([Buffer.from('BZh9'), noise(4000, 99)]));
});

async function read(file: string, decoder: ReturnType<typeof availableDecoders>[number]): Promise<{ names: string[]; error: unknown }> {
  const names: string[] = [];
  try {
    for await (const member of readTarBz2(file, 1 << 30, decoder)) {
      expect(member.bytes!.equals(noise(150_000, MEMBERS.indexOf(member.name) + 1)), member.name).toBe(true);
      names.push(member.name);
    }
  } catch (error) {
    return { names, error };
  }
  return { names, error: undefined };
}

describe('a cut or foreign .tar.bz2 is one clear line naming it, with every decoder', () => {
  it('the fixture decodes whole (so the failures below are the cut and the foreign bytes)', async () => {
    const file = join(dir, 'whole.tar.bz2');
    writeFileSync(file, whole);
    for (const decoder of availableDecoders()) expect(await read(file, decoder)).toEqual({ names: MEMBERS, error: undefined });
  });

  // 'js' is always among them; the system decoders where installed (all three on the test machines).
  for (const decoder of availableDecoders()) {
    it(`a truncated archive: the members before the cut, then "truncated or corrupt" in the decoder's words (${decoder})`, async () => {
      const file = join(dir, 'cut.tar.bz2');
      const { names, error } = await read(file, decoder);
      expect(names.length).toBeLessThan(MEMBERS.length);
      expect(names).toEqual(MEMBERS.slice(0, names.length));
      expect(error).toBeInstanceOf(ArchiveError);
      const message = (error as Error).message;
      expect(message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated or corrupt \\(${decoder === 'js' ? 'bzip2 \\(js\\)' : decoder}: [^\\n]+\\)$`));
      // The pure-JS decoder's own words ran past its input ("Cannot read properties of undefined (reading '0')").
      if (decoder === 'js') expect(message).toBe(`${file}: truncated or corrupt (bzip2 (js): compressed file ends unexpectedly)`);
    });

    it(`a file that is not bzip2 under a .tar.bz2 name is refused before decoding, or named corrupt (${decoder})`, async () => {
      const gzip = join(dir, 'gzip.tar.bz2');
      expect((await read(gzip, decoder)).error).toEqual(new ArchiveError(gzip, 'not a bzip2 archive'));
      const garbage = join(dir, 'garbage.tar.bz2');
      const { names, error } = await read(garbage, decoder);
      expect(names).toEqual([]);
      expect(error).toBeInstanceOf(ArchiveError);
      expect((error as Error).message).toMatch(new RegExp(`^${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated or corrupt \\([^\\n]+\\)$`));
      // "eek not valid bzip data" in the pure-JS decoder's words.
      if (decoder === 'js') expect((error as Error).message).toBe(`${garbage}: truncated or corrupt (bzip2 (js): compressed data error (not a valid bzip2 block))`);
    });
  }

  it('a block that fails its CRC says so with the pure-JS decoder', async () => {
    const file = join(dir, 'flipped.tar.bz2');
    const flipped = Buffer.from(whole);
    // The first block's stored CRC (after 'BZh1' and the 6-byte block magic): its data decodes, the check fails.
    flipped[10] ^= 0x10;
    writeFileSync(file, flipped);
    const { error } = await read(file, 'js');
    expect((error as Error).message).toBe(`${file}: truncated or corrupt (bzip2 (js): data integrity error (a block fails its CRC check))`);
  });
});
