import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Progress } from '../../runner/progress.js';
import { chunk, mapOrdered } from '../../runner/stream.js';

/**
 * An append-only JSONL log of finished items, one stage each (DIR/.semibench-generate/{stage}.jsonl). Each append
 * is written and fsynced before the item counts as done, so kill -9 loses at most the items in flight; a torn
 * last line (no newline, or not JSON) is ignored on reopen. The last entry of a key wins.
 */
export class JsonlLog<T extends { key: string }> {
  readonly entries: Map<string, T> = new Map();
  private fd: number;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      const { entries, complete, text } = readLog<T>(file);
      this.entries = entries;
      // Cut a torn tail so the next append starts on a fresh line.
      if (complete.length !== text.length) {
        const fd = openSync(file, 'r+');
        try {
          ftruncateSync(fd, Buffer.byteLength(complete));
        } finally {
          closeSync(fd);
        }
      }
    }
    this.fd = openSync(file, 'a');
  }

  append(entries: T[]): void {
    if (entries.length === 0) return;
    writeSync(this.fd, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    fsyncSync(this.fd);
    for (const entry of entries) this.entries.set(entry.key, entry);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads a stage log without opening it for writing (for --plan). */
export function readLog<T extends { key: string }>(file: string): { entries: Map<string, T>; complete: string; text: string } {
  const entries = new Map<string, T>();
  if (!existsSync(file)) return { entries, complete: '', text: '' };
  const text = readFileSync(file, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const line of complete.split('\n')) {
    if (!line) continue;
    try {
      const entry = JSON.parse(line) as T;
      entries.set(entry.key, entry);
    } catch {
      // a line torn by a crash mid-write; the item is simply done again
    }
  }
  return { entries, complete, text };
}

/** An append-only side log (no keys, no resume), for the raw LLM requests and answers; the file appears at the first line. */
export class SideLog {
  private fd?: number;
  constructor(readonly file: string) {}
  write(entry: Record<string, unknown>): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface StageCounts {
  items: number;
  /** Done by an earlier run and kept. */
  alreadyDone: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
}

function countEntries(keys: string[], log: JsonlLog<{ key: string; ok: boolean; reason?: string }>, alreadyDone: number): StageCounts {
  const counts: StageCounts = { items: keys.length, alreadyDone, ok: 0, failed: 0, failures: {} };
  for (const key of keys) {
    const entry = log.entries.get(key);
    if (!entry) continue;
    if (entry.ok) counts.ok++;
    else {
      counts.failed++;
      const reason = entry.reason ?? 'unknown';
      counts.failures[reason] = (counts.failures[reason] ?? 0) + 1;
    }
  }
  return counts;
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/**
 * Runs a stage's pending items, `concurrency` in flight, each finished entry appended to the stage's log (durable
 * before it counts) with a progress bar; returns the stage's counts over all its `keys`.
 */
export async function runStage<I, E extends { key: string; ok: boolean; reason?: string }>(stage: {
  label: string;
  keys: string[];
  pending: I[];
  work: (item: I) => Promise<E>;
  log: JsonlLog<E>;
  progress: Progress;
  concurrency: number;
}): Promise<StageCounts> {
  const { keys, pending, log, progress } = stage;
  const alreadyDone = keys.length - pending.length;
  progress.start(stage.label, keys.length, alreadyDone);
  let done = alreadyDone;
  let errors = 0;
  try {
    for await (const batch of chunk(mapOrdered(toAsync(pending), stage.work, stage.concurrency), 1)) {
      log.append(batch);
      done += batch.length;
      errors += batch.filter((e) => !e.ok).length;
      progress.tick(done, errors);
    }
  } finally {
    progress.stop();
  }
  return countEntries(keys, log, alreadyDone);
}
