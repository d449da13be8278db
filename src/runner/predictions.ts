import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, ftruncateSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { readCsvRecords } from '../loaders/csv.js';
import type { StoredIdentity } from './identity.js';

/** One row of predictions.csv: one sample scored by one detector, and what the score was computed from. */
export interface PredictionRow {
  sample_id: string;
  detector: string;
  /** P(fake) in [0, 1]; empty when status is error. */
  score: number | null;
  label: 0 | 1;
  status: 'ok' | 'error';
  error: string;
  /** Wall time of this sample's decode + preprocess + inference share, milliseconds. */
  ms: number;
  /** sha256 (first 16 hex digits) of the image file's bytes: the same image under another name shares it. */
  cache_key: string;
  /** The detector's score identity (see identity.ts): model bytes, protocol, everything else in the pipeline. */
  model_sha256: string;
  protocol: string;
  pipeline_hash: string;
}

export const PREDICTION_COLUMNS: (keyof PredictionRow)[] = ['sample_id', 'detector', 'score', 'label', 'status', 'error', 'ms', 'cache_key', 'model_sha256', 'protocol', 'pipeline_hash'];

/**
 * The reading rule of predictions.csv, shared by resume and report: rows are appended, and a later row for
 * the same (detector, sample_id) replaces an earlier one (a resumed run appends the rescored row; the stale one
 * stays until the run ends and compacts the file). Returns the key a row is identified by.
 */
export function predictionKey(detector: string, sampleId: string): string {
  return `${detector}\u0000${sampleId}`;
}

/**
 * The append-only predictions file. Rows are appended and fsynced per batch, so a killed run loses at most
 * the batch in flight; on reopen, a torn last line is cut off and the latest row per (detector, sample) is
 * what the runner may reuse.
 */
export class PredictionStore {
  private fd: number;
  /** Latest row per predictionKey: its identity, and its position among the data rows (for compaction). */
  private readonly latest = new Map<string, { identity: StoredIdentity; row: number }>();
  /** Data rows in the file, superseded ones included. */
  private rows = 0;
  /** One object per distinct identity, shared by the rows that have it (millions of rows, a handful of identities). */
  private readonly identities = new Map<string, StoredIdentity>();

  private constructor(readonly file: string) {
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
  }

  static async open(file: string): Promise<PredictionStore> {
    const store = new PredictionStore(file);
    store.dropTornLine();
    if (fstatSync(store.fd).size === 0) {
      writeSync(store.fd, stringify([PREDICTION_COLUMNS]));
      return store;
    }
    let header: string[] = [];
    for await (const { record } of readCsvRecords(file, (columns) => (header = columns))) store.remember(record);
    // A file from an older semibench lacks the identity columns: rewrite it with them (empty, so its rows are rescored).
    if (header.join(',') !== PREDICTION_COLUMNS.join(',')) await store.rewrite(() => true);
    return store;
  }

  /** The latest stored row's identity for a detector and sample, if any. */
  lookup(detector: string, sampleId: string): StoredIdentity | undefined {
    return this.latest.get(predictionKey(detector, sampleId))?.identity;
  }

  /** Rows in the file that a later row replaced. */
  get superseded(): number {
    return this.rows - this.latest.size;
  }

  /** Appends rows and makes them durable before returning. */
  append(rows: PredictionRow[]): void {
    if (rows.length === 0) return;
    const text = stringify(rows.map((r) => PREDICTION_COLUMNS.map((c) => formatCell(r[c]))));
    writeSync(this.fd, text, fstatSync(this.fd).size);
    fsyncSync(this.fd);
    for (const r of rows) this.remember(r);
  }

  /** Rewrites the file without superseded rows (atomically: a kill leaves the old or the new file). */
  async compact(): Promise<void> {
    if (this.superseded === 0) return;
    const keep = new Set([...this.latest.values()].map((v) => v.row));
    await this.rewrite((row) => keep.has(row));
  }

  close(): void {
    closeSync(this.fd);
  }

  private remember(record: Partial<Record<keyof PredictionRow, unknown>>): void {
    const identity = { cache_key: '', model_sha256: '', protocol: '', pipeline_hash: '' };
    for (const c of Object.keys(identity) as (keyof StoredIdentity)[]) identity[c] = formatCell(record[c]);
    const text = `${identity.cache_key}\u0000${identity.model_sha256}\u0000${identity.protocol}\u0000${identity.pipeline_hash}`;
    let shared = this.identities.get(text);
    if (!shared) this.identities.set(text, (shared = identity));
    this.latest.set(predictionKey(String(record.detector), String(record.sample_id)), { identity: shared, row: this.rows++ });
  }

  /** Writes the rows that pass `keep` (by position) under the current header to a temp file, then swaps it in. */
  private async rewrite(keep: (row: number) => boolean): Promise<void> {
    const tmp = `${this.file}.tmp-${process.pid}`;
    const out = openSync(tmp, 'w');
    try {
      writeSync(out, stringify([PREDICTION_COLUMNS]));
      let row = 0;
      let batch: string[][] = [];
      for await (const { record } of readCsvRecords(this.file)) {
        if (keep(row++)) batch.push(PREDICTION_COLUMNS.map((c) => record[c] ?? ''));
        if (batch.length >= 10_000) writeSync(out, stringify(batch.splice(0)));
      }
      writeSync(out, stringify(batch));
      fsyncSync(out);
      closeSync(out);
    } catch (error) {
      closeSync(out);
      unlinkSync(tmp);
      throw error;
    }
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'r+');
    this.latest.clear();
    this.rows = 0;
    for await (const { record } of readCsvRecords(this.file)) this.remember(record);
  }

  /** A kill during a write can leave a line without its newline: remove it so the file stays valid CSV. */
  private dropTornLine(): void {
    const size = fstatSync(this.fd).size;
    if (size === 0) return;
    const chunk = Buffer.alloc(Math.min(size, 1 << 16));
    let end = size;
    // Find the last newline, reading backwards in chunks.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(this.fd, chunk, 0, end - start, start);
      const i = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (i >= 0) {
        if (start + i + 1 < size) ftruncateSync(this.fd, start + i + 1);
        return;
      }
      end = start;
    }
    ftruncateSync(this.fd, 0);
  }
}

function formatCell(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
