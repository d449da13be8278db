import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { extract } from 'tar-stream';
import { UserError } from '../util/errors.js';
import { chooseDecoder, decompressBzip2, unverifiedBytes, verifiesBeforeOutput, type Bzip2Decoder } from './bzip2.js';

/** One regular file in a tar archive: its bytes, or why they were not read (over the size limit). */
export interface TarMember {
  name: string;
  bytes?: Buffer;
  refused?: string;
}

/** An archive that cannot be read (whole or from some point on). The message is one line naming the file. */
export class ArchiveError extends UserError {
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, 'E_DATA', options);
    this.name = 'ArchiveError';
  }
}

const BZIP2_MAGIC = 'BZh';
const LFS_POINTER = 'version https://git-lfs';

/**
 * Checks that a file is a bzip2 stream before decoding it: the release holds Git-LFS pointers and tiny stubs
 * (46 bytes) in place of some archives, which a decoder would only call "not a bzip2 file". Returns the block
 * size level (1-9).
 */
export async function checkBzip2File(file: string): Promise<number> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new ArchiveError(file, `cannot open (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead).toString('latin1');
    if (text.startsWith(LFS_POINTER)) {
      throw new ArchiveError(file, `a Git-LFS pointer (${size} bytes), not the archive: fetch it (git lfs pull --include '${basename(file)}' in the dataset's clone) or download it again`);
    }
    if (!text.startsWith(BZIP2_MAGIC)) {
      const stub = size < 1024 ? ` (only ${size} bytes: a Git-LFS stub in place of the archive? download it again)` : '';
      throw new ArchiveError(file, `not a bzip2 archive${stub}`);
    }
    const level = Number(text[3]);
    if (!(level >= 1 && level <= 9)) throw new ArchiveError(file, `not a bzip2 archive (block size '${text[3]}')`);
    return level;
  } finally {
    await handle.close();
  }
}

/**
 * The regular files of a .tar.bz2 archive in archive order, each read whole (up to `maxBytes`; a bigger one
 * comes with `refused` and is skipped, not buffered). Folders, links and other entries are passed over. A
 * truncated or corrupt archive throws an {@link ArchiveError} after the last member it could read whole.
 *
 * Only verified bytes are handed out: with a decoder that writes a block before checking its CRC (bzip2,
 * pbzip2) a member waits until the decoder is a whole block past its end (or the file decoded well), so a
 * corrupt block never reaches a detector. That holds up to {@link unverifiedBytes} in memory; lbzip2 holds none.
 * `onInput` sees the compressed bytes as they are read (see decompressBzip2).
 */
export async function* readTarBz2(file: string, maxBytes: number, decoder: Bzip2Decoder = chooseDecoder(), onInput?: (chunk: Buffer) => void): AsyncGenerator<TarMember> {
  const level = await checkBzip2File(file);
  const hold = verifiesBeforeOutput(decoder) ? 0 : unverifiedBytes(level);
  const { stream: data, result } = decompressBzip2(file, decoder, onInput);
  let decoded = 0;
  data.on('data', (chunk: Buffer) => (decoded += chunk.length));
  const tar = extract();
  data.on('error', (error) => tar.destroy(error));
  data.pipe(tar);
  // Members read but not yet verified, each with how far the decoder had got when it was read.
  const waiting: { member: TarMember; end: number }[] = [];
  try {
    for await (const entry of tar) {
      const { name, type, size = 0 } = entry.header;
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      let member: TarMember;
      if (size > maxBytes) {
        entry.resume();
        member = { name, refused: `archive member is ${(size / 2 ** 20).toFixed(0)} MiB, over the ${(maxBytes / 2 ** 20).toFixed(0)} MiB limit for one image` };
      } else {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        member = { name, bytes: Buffer.concat(chunks) };
      }
      waiting.push({ member, end: decoded });
      while (waiting.length > 0 && decoded - waiting[0].end >= hold) yield waiting.shift()!.member;
    }
    const failed = await result;
    if (failed) throw new Error(failed);
    for (const { member } of waiting.splice(0)) yield member;
  } catch (error) {
    // A tar error is often a corrupt block seen first: the decoder's own words, when it says them soon, are better.
    data.unpipe(tar);
    data.on('error', () => {}).resume();
    const said = await Promise.race([result, sleep(5000, undefined, { ref: false })]);
    const reason = (said ?? (error as Error).message).replace(/\s+/g, ' ').trim();
    throw new ArchiveError(file, `truncated or corrupt (${reason})`, { cause: error });
  } finally {
    data.destroy();
    tar.destroy();
  }
}
