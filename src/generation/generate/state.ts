import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

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
