import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, ftruncateSync, writeSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { readCsvRecords } from '../loaders/csv.js';

/** One row of predictions.csv: one sample scored by one detector. */
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
}

export const PREDICTION_COLUMNS: (keyof PredictionRow)[] = ['sample_id', 'detector', 'score', 'label', 'status', 'error', 'ms', 'cache_key'];

/**
 * The append-only predictions file. Rows are appended and fsynced per batch, so a killed run loses at most
 * the batch in flight; on reopen, a torn last line is cut off and the (detector, sample) pairs already
 * written are skipped by the runner.
 */
export class PredictionStore {
  private fd: number;
  readonly done = new Set<string>();

  private constructor(readonly file: string) {
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
  }

  static async open(file: string): Promise<PredictionStore> {
    const store = new PredictionStore(file);
    store.dropTornLine();
    if (fstatSync(store.fd).size === 0) {
      writeSync(store.fd, stringify([PREDICTION_COLUMNS]));
    } else {
      for await (const { record } of readCsvRecords(file)) store.done.add(key(record.detector, record.sample_id));
    }
    return store;
  }

  /** How many samples a detector already has rows for (a resumed run starts its progress there). */
  countDone(detector: string): number {
    const prefix = `${detector}\u0000`;
    let n = 0;
    for (const k of this.done) if (k.startsWith(prefix)) n++;
    return n;
  }

  has(detector: string, sampleId: string): boolean {
    return this.done.has(key(detector, sampleId));
  }

  /** Appends rows and makes them durable before returning. */
  append(rows: PredictionRow[]): void {
    if (rows.length === 0) return;
    const text = stringify(rows.map((r) => PREDICTION_COLUMNS.map((c) => formatCell(r[c]))));
    writeSync(this.fd, text, fstatSync(this.fd).size);
    fsyncSync(this.fd);
    for (const r of rows) this.done.add(key(r.detector, r.sample_id));
  }

  close(): void {
    closeSync(this.fd);
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

function key(detector: string, sampleId: string): string {
  return `${detector}\u0000${sampleId}`;
}

function formatCell(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
