import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LOCK_FILE, LOCK_HEARTBEAT_MS, LOCK_STALE_MS, lockRunFolder } from '../../src/runner/run-folder.js';
import { shardFiles } from '../../src/runner/shard.js';
import { runDetectors } from '../../src/runner/run.js';
import { copyEvalset, removeTempDirs, runCli, testConfig } from '../helpers.js';

afterAll(removeTempDirs);

function writeLock(out: string, pid: number, host = hostname()): string {
  mkdirSync(out, { recursive: true });
  const text = `${JSON.stringify({ pid, host, startedAt: '2026-01-01T00:00:00.000Z' })}\n`;
  writeFileSync(join(out, LOCK_FILE), text);
  return text;
}

/** The pid of a process that has exited (so no live process has it, barring reuse). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('one writer per run folder', () => {
  it('refuses a run while a live process holds the folder, and leaves its lock alone', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const config = testConfig({ detectors: ['npr-residual'] });
      const text = writeLock(config.out, holder.pid!);
      await expect(runDetectors(config)).rejects.toThrow(
        `--out ${config.out} is in use by another semibench run (pid ${holder.pid} on ${hostname()}, since 2026-01-01T00:00:00.000Z); wait for it, or use another --out`,
      );
      expect(readFileSync(join(config.out, LOCK_FILE), 'utf8')).toBe(text);
      expect(existsSync(join(config.out, 'predictions.csv'))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('refuses a lock held on another host: its pid cannot be checked from here', () => {
    const out = testConfig().out;
    writeLock(out, deadPid(), 'elsewhere.example');
    expect(() => lockRunFolder(out)).toThrow(/in use by another semibench run \(pid \d+ on elsewhere\.example.*delete .*\.semibench\.lock/);
  });

  it('takes over a stale lock (its pid is gone) with a warning, and releases it at the end', async () => {
    const config = testConfig({ detectors: ['npr-residual'] });
    const pid = deadPid();
    writeLock(config.out, pid);
    const warnings = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const result = await runDetectors(config);
      expect(result.detectors[0].counts.ok).toBe(64);
      expect(warnings.mock.calls.map((c) => String(c[0]))).toContainEqual(`warning: ${config.out} was locked by pid ${pid} (no longer running); taking over.\n`);
    } finally {
      warnings.mockRestore();
    }
    expect(existsSync(join(config.out, LOCK_FILE))).toBe(false);
  });

  it('names --out when it cannot be written (a file in the way)', async () => {
    const out = testConfig().out;
    writeFileSync(out, 'not a folder');
    await expect(runDetectors(testConfig({ out }))).rejects.toThrow(`--out ${out}: ${out} is a file, not a folder.`);
  });

  it("removes the temp files a killed writer left, and spares a live process's", () => {
    const out = testConfig().out;
    mkdirSync(join(out, 'slices'), { recursive: true });
    const dead = deadPid();
    const left = [`predictions.csv.tmp-${dead}`, `run.json.tmp-${dead}`, `${LOCK_FILE}.${dead}`, `${LOCK_FILE}.stale-${dead}`, `slices/all.csv.tmp-${dead}`];
    const live = `results.json.tmp-${process.ppid}`;
    for (const name of [...left, live, 'notes.txt']) writeFileSync(join(out, name), 'x');
    lockRunFolder(out).release();
    expect(left.filter((name) => existsSync(join(out, name)))).toEqual([]);
    expect(existsSync(join(out, live))).toBe(true);
    expect(existsSync(join(out, 'notes.txt'))).toBe(true);
  });

  it('takes over an unreadable lock file (a kill while it was written) with a warning', () => {
    const out = testConfig().out;
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, LOCK_FILE), '{"pid": 12');
    const warn = vi.fn();
    lockRunFolder(out, warn).release();
    expect(warn).toHaveBeenCalledWith(`warning: ${out} was locked by an unreadable lock file; taking over.`);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('releases the lock when the run fails; a second writer in the same process is refused too', async () => {
    const config = testConfig({ detectors: ['npr-residual'] });
    await runDetectors(config);
    await expect(runDetectors({ ...config, data: copyEvalset() })).rejects.toThrow(/one folder holds one data set/);
    expect(existsSync(join(config.out, LOCK_FILE))).toBe(false);
    const outer = lockRunFolder(config.out);
    expect(JSON.parse(readFileSync(join(config.out, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    await expect(runDetectors(config)).rejects.toThrow(`--out ${config.out} is in use by another run in this process.`);
    // The holder passes its lock on (as the CLI does, to write the report under it).
    expect((await runDetectors(config, undefined, { lock: outer })).detectors[0].counts.resumed).toBe(64);
    expect(existsSync(join(config.out, LOCK_FILE))).toBe(true);
    outer.release();
    expect(existsSync(join(config.out, LOCK_FILE))).toBe(false);
  });

  it('semibench report refuses, in one line, a run folder (or --out) that a run is writing; it takes and releases the lock itself', async () => {
    const config = testConfig({ detectors: ['npr-residual'] });
    await runDetectors(config);
    const elsewhere = join(config.out, '..', 'report-out');
    mkdirSync(elsewhere);
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      for (const [locked, args] of [[config.out, ['report', config.out]], [elsewhere, ['report', config.out, '--out', elsewhere]]] as const) {
        writeLock(locked, holder.pid!);
        const refused = await runCli([...args]);
        expect(refused.code).toBe(2);
        expect(refused.stderr.trim().split('\n')).toEqual([
          `semibench: --out ${locked} is in use by another semibench run (pid ${holder.pid} on ${hostname()}, since 2026-01-01T00:00:00.000Z); wait for it, or use another --out (if that run is gone, delete ${join(locked, LOCK_FILE)}).`,
        ]);
        expect(existsSync(join(elsewhere, 'results.json'))).toBe(false);
        rmSync(join(locked, LOCK_FILE));
      }
    } finally {
      holder.kill('SIGKILL');
    }
    const done = await runCli(['report', config.out, '--out', elsewhere]);
    expect(done.code, done.stderr).toBe(0);
    expect(existsSync(join(elsewhere, 'results.json'))).toBe(true);
    expect(existsSync(join(config.out, LOCK_FILE))).toBe(false);
    expect(existsSync(join(elsewhere, LOCK_FILE))).toBe(false);
  }, 120_000);
});

describe('locks of shards on a shared volume (several hosts)', () => {
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

  it('a lock from another host is held while its heartbeat is fresh, and taken over once silent for LOCK_STALE_MS', () => {
    const out = testConfig().out;
    writeLock(out, 1, 'another-node');
    const file = join(out, LOCK_FILE);
    utimesSync(file, minutesAgo(1), minutesAgo(1));
    expect(() => lockRunFolder(out, () => {})).toThrow(`is in use by another semibench run (pid 1 on another-node`);
    expect(readFileSync(file, 'utf8')).toContain('another-node');
    utimesSync(file, minutesAgo(LOCK_STALE_MS / 60_000 + 1), minutesAgo(LOCK_STALE_MS / 60_000 + 1));
    const warnings: string[] = [];
    const lock = lockRunFolder(out, (line) => warnings.push(line));
    try {
      expect(warnings).toEqual([`warning: ${out} was locked by pid 1 on another-node (silent for ${LOCK_STALE_MS / 60_000 + 1} min); taking over.`]);
      expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    } finally {
      lock.release();
    }
  });

  it('the holder keeps its lock fresh every LOCK_HEARTBEAT_MS, and stops when it releases it', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const out = testConfig().out;
    const lock = lockRunFolder(out);
    const file = join(out, LOCK_FILE);
    try {
      utimesSync(file, minutesAgo(30), minutesAgo(30));
      vi.advanceTimersByTime(LOCK_HEARTBEAT_MS);
      expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(LOCK_HEARTBEAT_MS);
    } finally {
      lock.release();
      expect(vi.getTimerCount()).toBe(0);
      vi.useRealTimers();
    }
  });

  it("a shard's lock removes only its own leftovers, never another shard's (maybe alive on another host)", () => {
    const out = testConfig().out;
    const dead = deadPid();
    mkdirSync(join(out, 'shards'), { recursive: true });
    const mine = [`predictions-0-of-3.csv.tmp-${dead}`, `run-0-of-3.json.tmp-${dead}`, `run-0-of-3.lock.${dead}`];
    const theirs = [`predictions-1-of-3.csv.tmp-${dead}`, `run-2-of-3.json.tmp-${dead}`];
    for (const name of [...mine, ...theirs]) writeFileSync(join(out, 'shards', name), 'x');
    writeFileSync(join(out, `predictions.csv.tmp-${dead}`), 'x');
    const lock = lockRunFolder(out, () => {}, shardFiles(out, { index: 0, count: 3 }).lock);
    try {
      for (const name of mine) expect(existsSync(join(out, 'shards', name)), name).toBe(false);
      for (const name of theirs) expect(existsSync(join(out, 'shards', name)), name).toBe(true);
      expect(existsSync(join(out, `predictions.csv.tmp-${dead}`))).toBe(true); // the merge's, under the folder's lock
      expect(existsSync(join(out, 'shards/run-0-of-3.lock'))).toBe(true);
    } finally {
      lock.release();
    }
    expect(existsSync(join(out, 'shards/run-0-of-3.lock'))).toBe(false);
  });
});
