import { createHash } from 'node:crypto';
import { createReadStream, linkSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { EvalsetSource, listSamples, type DataSource } from '../loaders/index.js';
import { errorMessage, UserError } from '../util/errors.js';
import { ensureOutputFolder } from '../util/fs.js';
import { isAlive } from '../util/process.js';

/** The lock file in a run folder: held by the one `semibench run` writing there. */
export const LOCK_FILE = '.semibench.lock';

interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunFolderLock {
  /** The run folder it locks. */
  readonly out: string;
  release(): void;
}

/** Lock files this process holds, with the timer that keeps each one's heartbeat. */
const held = new Map<string, NodeJS.Timeout>();

/**
 * A lock's holder touches it this often; a lock from another host (whose pid cannot be checked: shards on a
 * shared volume) whose file has not been touched for LOCK_STALE_MS is stale.
 */
export const LOCK_HEARTBEAT_MS = 60_000;
export const LOCK_STALE_MS = 10 * 60_000;

/** A lock other than the run folder's own: its file (relative to the folder), and which files of the folder are its writer's. */
export interface LockSpec {
  name: string;
  /** Whether a file in the lock's folder is this writer's (its leftovers may be removed). */
  owns: (fileName: string) => boolean;
}

/**
 * Takes the one-writer lock of a run folder: a file holding the writer's pid and host, created atomically
 * (link of a complete temp file, so no reader sees it half written). A second writer gets a one-line error; a
 * lock whose pid is not alive on this host is stale (a kill -9) and taken over with a warning, and so is one from
 * another host without a heartbeat for LOCK_STALE_MS. Released on release(), on exit, and on SIGINT/SIGTERM.
 * `spec`: another lock in the folder (a shard's: shard.ts).
 */
export function lockRunFolder(out: string, warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`), spec?: LockSpec): RunFolderLock {
  const file = join(out, spec?.name ?? LOCK_FILE);
  if (held.has(file)) throw new UserError(`--out ${out} is in use by another run in this process.`, 'E_USAGE');
  const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}`;
  ensureOutputFolder(out); // creates --out; a file in the way, /proc, a read-only disk: one line naming it
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(mine)}\n`);
  } catch (error) {
    // The first write into --out: a read-only disk, a file in the way, no permission.
    throw new UserError(`--out ${out} is not a writable folder (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}).`, 'E_USAGE', { cause: error });
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
      }
      const text = readText(file);
      if (text === undefined) continue; // released meanwhile
      const holder = parseHolder(text);
      const silentFor = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (holder && (holder.host === mine.host ? isAlive(holder.pid) : silentFor < LOCK_STALE_MS)) {
        throw new UserError(
          `--out ${out} is in use by another semibench run (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); wait for it, or use another --out (if that run is gone, delete ${file}).`,
          'E_USAGE',
        );
      }
      // Stale (or unreadable): move it aside and check it is still the one judged stale, then try again.
      const aside = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, aside);
      } catch {
        continue;
      }
      if (readText(aside) !== text) {
        renameSync(aside, file); // another writer took it meanwhile: put theirs back and look again
        continue;
      }
      unlinkSync(aside);
      const gone = !holder ? 'an unreadable lock file' : holder.host === mine.host ? `pid ${holder.pid} (no longer running)` : `pid ${holder.pid} on ${holder.host} (silent for ${Math.round(silentFor / 60_000)} min)`;
      warn(`warning: ${out} was locked by ${gone}; taking over.`);
    }
  } finally {
    unlinkSync(tmp);
  }
  if (spec) removeLeftovers([dirname(file)], spec.owns);
  else removeLeftovers([out, join(out, 'slices')], () => true);
  if (held.size === 0) {
    process.once('exit', releaseAll);
    process.once('SIGINT', releaseAndRaise);
    process.once('SIGTERM', releaseAndRaise);
  }
  const heartbeat = setInterval(() => touch(file), LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  held.set(file, heartbeat);
  return { out, release: () => release(file) };
}

function release(file: string): void {
  const heartbeat = held.get(file);
  if (!heartbeat) return;
  clearInterval(heartbeat);
  held.delete(file);
  removeLock(file);
  if (held.size === 0) releaseAll();
}

function releaseAll(): void {
  for (const [file, heartbeat] of held) {
    clearInterval(heartbeat);
    removeLock(file);
  }
  held.clear();
  process.off('exit', releaseAll);
  process.off('SIGINT', releaseAndRaise);
  process.off('SIGTERM', releaseAndRaise);
}

/** On SIGINT/SIGTERM: remove the locks, then let the signal's default action (exit) happen. */
function releaseAndRaise(signal: NodeJS.Signals): void {
  releaseAll();
  process.kill(process.pid, signal);
}

function touch(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    // gone (released, or removed by hand): nothing to keep alive
  }
}

/**
 * Removes the temp files a killed writer left in the folder (`NAME.tmp-PID` of an atomic write, the lock's
 * `LOCK.PID`, `LOCK.stale-PID`), once the lock is ours: only those whose pid is no longer alive, and only the
 * files this lock's writer owns (a shard's lock: its own files, never another shard's, maybe on another host).
 */
function removeLeftovers(dirs: string[], owns: (fileName: string) => boolean): void {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter(owns)) {
      const pid = /\.tmp-(\d+)$/.exec(name)?.[1] ?? /\.lock\.(?:stale-)?(\d+)$/.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !isAlive(Number(pid))) rmSync(join(dir, name), { force: true });
    }
  }
}

/** Removes a lock file if it is still this process's. */
function removeLock(file: string): void {
  const text = readText(file);
  if (text !== undefined && parseHolder(text)?.pid === process.pid) unlinkSync(file);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const doc = JSON.parse(text);
    return Number.isInteger(doc.pid) && typeof doc.host === 'string' ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Which data set a run folder holds: the resolved folder, and a fingerprint of what it lists. */
export interface DataIdentity {
  root: string;
  /** sha256 of metadata.csv's bytes (Evalset), or of the sorted "id<TAB>label" lines (real/ + fake/ folder). */
  fingerprint: string;
}

export async function dataIdentity(source: DataSource): Promise<DataIdentity> {
  const root = realpathSync(source.root);
  const hash = createHash('sha256');
  if (source instanceof EvalsetSource) {
    for await (const bytes of createReadStream(source.metadataFile)) hash.update(bytes as Buffer);
  } else {
    const lines: string[] = [];
    for await (const s of listSamples(source)) lines.push(`${s.id}\t${s.label}`);
    hash.update(lines.sort().join('\n'));
  }
  return { root, fingerprint: hash.digest('hex') };
}
