import { open } from 'node:fs/promises';
import { extract } from 'tar-stream';
import { UserError } from '../util/errors.js';
import { decompressBzip2, type Bzip2Decoder } from './bzip2.js';

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
 * (46 bytes) in place of some archives, which a decoder would only call "not a bzip2 file".
 */
export async function checkBzip2File(file: string): Promise<void> {
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
      throw new ArchiveError(file, `a Git-LFS pointer (${size} bytes), not the archive: fetch it (git lfs pull --include '<path>') or download it again`);
    }
    if (!text.startsWith(BZIP2_MAGIC)) {
      const stub = size < 1024 ? ` (only ${size} bytes: a Git-LFS stub in place of the archive? download it again)` : '';
      throw new ArchiveError(file, `not a bzip2 archive${stub}`);
    }
  } finally {
    await handle.close();
  }
}

/**
 * The regular files of a .tar.bz2 archive in archive order, each read whole (up to `maxBytes`; a bigger one
 * comes with `refused` and is skipped, not buffered). Folders, links and other entries are passed over. A
 * truncated or corrupt archive throws an {@link ArchiveError} after the last member it could read whole.
 */
export async function* readTarBz2(file: string, maxBytes: number, decoder?: Bzip2Decoder): AsyncGenerator<TarMember> {
  await checkBzip2File(file);
  const data = decompressBzip2(file, decoder);
  const tar = extract();
  data.on('error', (error) => tar.destroy(error));
  data.pipe(tar);
  try {
    for await (const entry of tar) {
      const { name, type, size = 0 } = entry.header;
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      if (size > maxBytes) {
        entry.resume();
        yield { name, refused: `archive member is ${(size / 2 ** 20).toFixed(0)} MiB, over the ${(maxBytes / 2 ** 20).toFixed(0)} MiB limit for one image` };
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      yield { name, bytes: Buffer.concat(chunks) };
    }
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+/g, ' ').trim();
    throw new ArchiveError(file, `truncated or corrupt (${reason})`, { cause: error });
  } finally {
    data.destroy();
    tar.destroy();
  }
}
