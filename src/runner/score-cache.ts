import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { UserError, errorMessage } from '../util/errors.js';
import type { ScoreIdentity } from './identity.js';

/**
 * A content-addressed score cache shared across runs and run folders (`semibench run --cache DIR`): the score
 * of an image's bytes under a score identity is computed once. One file per identity,
 * DIR/<sha256 of the identity, 16 hex>.jsonl, one line per image: {"image": cache_key, "score": P(fake)}.
 * Only ok scores are kept (an error may be transient). Lines are appended in one write per batch (O_APPEND:
 * several runs may share the cache); a torn line left by a kill is skipped when read.
 */
export class ScoreCache {
  private readonly scores = new Map<string, number>();
  private fd?: number;

  private constructor(readonly file: string) {}

  static async open(dir: string, identity: ScoreIdentity): Promise<ScoreCache> {
    // the clean condition keeps the key caches had before conditions existed
    const condition = identity.condition === 'none' ? '' : `\u0000${identity.condition}`;
    const key = createHash('sha256').update(`${identity.model_sha256}\u0000${identity.protocol}\u0000${identity.pipeline_hash}${condition}`).digest('hex').slice(0, 16);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new UserError(`--cache ${dir} is not a writable folder (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}).`, 'E_USAGE');
    }
    const cache = new ScoreCache(join(dir, `${key}.jsonl`));
    if (existsSync(cache.file)) {
      for await (const line of createInterface({ input: createReadStream(cache.file), crlfDelay: Infinity })) {
        const entry = parseLine(line);
        if (entry) cache.scores.set(entry.image, entry.score);
      }
    }
    return cache;
  }

  get(cacheKey: string): number | undefined {
    return cacheKey ? this.scores.get(cacheKey) : undefined;
  }

  /** Adds the scores of images not cached yet. */
  add(entries: { cacheKey: string; score: number }[]): void {
    const fresh = entries.filter((e) => e.cacheKey && !this.scores.has(e.cacheKey));
    if (fresh.length === 0) return;
    for (const e of fresh) this.scores.set(e.cacheKey, e.score);
    const lines = fresh.map((e) => `${JSON.stringify({ image: e.cacheKey, score: e.score })}\n`).join('');
    // The first write starts with a newline: it ends a torn line a killed writer may have left.
    const first = this.fd === undefined;
    this.fd ??= openSync(this.file, 'a');
    writeSync(this.fd, first ? `\n${lines}` : lines);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function parseLine(line: string): { image: string; score: number } | undefined {
  try {
    const entry = JSON.parse(line);
    return typeof entry.image === 'string' && typeof entry.score === 'number' && entry.score >= 0 && entry.score <= 1 ? entry : undefined;
  } catch {
    return undefined;
  }
}
