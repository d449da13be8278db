import { constants, mkdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.js';

/**
 * Largest file read as an image. Big enough for an uncompressed 50-megapixel 8-bit TIFF; a symlink to a huge
 * file (or a device) can never be read whole into memory.
 */
export const MAX_DATA_FILE_BYTES = 256 * 1024 * 1024;

/** Why a file named by the data could not be read. `message` is one line with the path; `reason` is the cause alone. */
export class DataFileError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly kind: 'missing' | 'refused' | 'unreadable',
    options?: { cause?: unknown },
  ) {
    super(`${reason}: ${path}`, 'E_DATA', options);
    this.name = 'DataFileError';
  }
}

/**
 * Where a path written in the data (metadata `image_path`, `mask_path`, a pairs CSV cell) points. One rule for
 * every command: a relative path resolves against the data folder; an absolute path is taken as written. Either
 * way {@link readDataFile} reads it only if it lies inside the data folder.
 */
export function resolveDataPath(root: string, cell: string): string {
  return isAbsolute(cell) ? resolve(cell) : resolve(root, cell);
}

/** True when `path` is strictly below `folder` (both absolute and normalised). */
export function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Reads a file the data names, confined to the data folder `root`: a path that leaves it (`../`, an absolute
 * path elsewhere, a symlink whose target is elsewhere) is refused, and only a regular file up to `maxBytes` is
 * read (see {@link readRegularFile}). Throws {@link DataFileError}.
 */
export async function readDataFile(root: string, path: string, maxBytes = MAX_DATA_FILE_BYTES): Promise<Buffer> {
  const folder = resolve(root);
  const target = resolve(path);
  if (!isInside(folder, target)) throw new DataFileError(target, `path is outside the data folder ${folder}`, 'refused');
  let real: string;
  try {
    real = await realpath(target);
  } catch (error) {
    throw fsError(target, error);
  }
  const realFolder = await realpath(folder).catch(() => folder);
  if (!isInside(realFolder, real)) {
    throw new DataFileError(target, `path leads outside the data folder ${folder} (to ${real})`, 'refused');
  }
  return readRegularFile(real, maxBytes);
}

/**
 * Reads a regular file of at most `maxBytes`. The file is opened non-blocking and checked with fstat on the
 * open descriptor, so a FIFO cannot hang the read and a device (/dev/zero) or folder is refused, not read.
 */
export async function readRegularFile(path: string, maxBytes = MAX_DATA_FILE_BYTES): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fsError(path, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DataFileError(path, `not a regular file (${fileKind(info)})`, 'refused');
    if (info.size > maxBytes) {
      throw new DataFileError(path, `file is ${megabytes(info.size)}, over the ${megabytes(maxBytes)} limit for one image`, 'refused');
    }
    const bytes = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break; // the file shrank while being read: keep what is there
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } catch (error) {
    throw error instanceof DataFileError ? error : fsError(path, error);
  } finally {
    await handle.close();
  }
}

function fsError(path: string, error: unknown): DataFileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataFileError(path, 'file not found', 'missing', { cause: error });
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EISDIR: 'is a folder, not a file',
    ENOTDIR: 'a parent of the path is not a folder',
    ELOOP: 'too many symlinks',
  };
  const reason = (code && reasons[code]) ?? `cannot read (${code ?? (error as Error).message})`;
  return new DataFileError(path, reason, 'unreadable', { cause: error });
}

function fileKind(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MiB`;
}

/** Short causes for the filesystem errors a user can fix. */
const FS_REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'already exists',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
};

/**
 * The one-line UserError for a filesystem error (node's errno errors, with their path when they carry one), or
 * undefined for anything else. The CLI uses it so a full disk or a read-only folder is a message, not a stack trace.
 */
export function fileSystemUserError(error: unknown): UserError | undefined {
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (error instanceof UserError || !code || !(code in FS_REASONS)) return undefined;
  return new UserError(`Cannot ${syscall ?? 'access'}${path ? ` ${path}` : ''}: ${FS_REASONS[code]}.`, 'E_FS', { cause: error });
}

/**
 * Creates an output folder (and its missing parents) and checks that a file can be written in it, so a run
 * into a read-only or impossible `--out` stops before the first image with one line naming the folder. Parents
 * are created one by one: node's recursive mkdir never returns on some paths under /proc.
 */
export function ensureOutputFolder(dir: string, flag = '--out'): string {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let at = target; ; at = dirname(at)) {
    let info: Stats | undefined;
    try {
      info = statSync(at, { throwIfNoEntry: false });
    } catch (error) {
      // ENOTDIR: a parent is a file; keep walking up to name it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw outputError(flag, target, error);
    }
    if (info?.isDirectory()) break;
    if (info) throw new UserError(`${flag} ${target}: ${at} is a file, not a folder.`, 'E_FS');
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  const probe = join(target, `.semibench-write-check-${process.pid}`);
  try {
    for (const folder of missing) mkdirSync(folder);
    writeFileSync(probe, '');
  } catch (error) {
    throw outputError(flag, target, error);
  } finally {
    try {
      rmSync(probe, { force: true });
    } catch {
      // nothing was written
    }
  }
  return target;
}

function outputError(flag: string, target: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = FS_REASONS[code] ?? (error as Error).message;
  return new UserError(`Cannot write to ${flag} ${target}: ${reason}.`, 'E_FS', { cause: error });
}
