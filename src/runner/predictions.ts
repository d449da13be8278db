import { appendFileSync, closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, ftruncateSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { readCsvRecords } from '../loaders/csv.js';
import { csvText, DATA_FILE } from '../reports/csv.js';
import type { ScoreIdentity, StoredIdentity } from './identity.js';

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
  /** The stress condition (canonical spec, src/conditions), 'none' for the clean run; part of the score identity. */
  condition: string;
}

export const PREDICTION_COLUMNS: (keyof PredictionRow)[] = ['sample_id', 'detector', 'score', 'label', 'status', 'error', 'ms', 'cache_key', 'model_sha256', 'protocol', 'pipeline_hash', 'condition'];

/** A stored condition cell: rows written before conditions existed have none and were computed clean. */
export const conditionOf = (cell: unknown): string => (cell === undefined || cell === null || cell === '' ? 'none' : String(cell));

/**
 * The append-only predictions file. Rows are appended and fsynced per batch, so a killed run loses at most
 * the batch in flight; on reopen, a torn last line is cut off. Reading rule (resume and `report` alike): a later
 * row for the same (detector, sample_id) replaces an earlier one. A resumed run appends the rows it rescores and
 * compacts the file when it ends; a kill before that leaves the stale rows, which the rule skips. Each condition
 * (`condition` column) is its own set of rows: (detector, condition, sample_id) is the key. A run appends a
 * detector's conditions interleaved (one pass over the samples scores every condition); compaction writes
 * them grouped, so a finished file holds each (detector, condition) group together, in the order the groups
 * first appeared, each group's rows in the order they were written.
 */
export class PredictionStore {
  private fd: number;
  /** Per detector + condition: sample id → position (among the data rows) of its latest row. */
  private readonly latest = new Map<string, Map<string, number>>();
  /** Per data row, superseded ones included: the image hash and the index of its score identity. */
  private readonly cacheKeys: string[] = [];
  private readonly identityOf: number[] = [];
  /** Per data row: its label cell. */
  private readonly labels: string[] = [];
  /** Data rows whose label the current metadata changed (row → new label): written by the next compact. */
  private readonly relabels = new Map<number, 0 | 1>();
  /** The distinct score identities (a handful, for millions of rows). */
  private readonly identities: ScoreIdentity[] = [];
  private readonly identityIndex = new Map<string, number>();
  /** Per data row: its (detector, condition) group, numbered in order of first appearance. */
  private readonly groupOf: number[] = [];
  private readonly groupIndex = new Map<string, number>();
  /** Some group's rows are not contiguous in the file (compact then regroups them). */
  private interleaved = false;
  private live = 0;

  private constructor(readonly file: string) {
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
  }

  static async open(file: string): Promise<PredictionStore> {
    const store = new PredictionStore(file);
    store.dropTornLine();
    if (fstatSync(store.fd).size === 0) {
      writeSync(store.fd, csvText([PREDICTION_COLUMNS], DATA_FILE));
      return store;
    }
    let header: string[] = [];
    for await (const { record } of readCsvRecords(file, (columns) => (header = columns))) store.remember(record);
    // A file from an older semibench lacks the identity columns: rewrite it with them (empty, so its rows are rescored).
    if (header.join(',') !== PREDICTION_COLUMNS.join(',')) await store.rewrite(() => true);
    return store;
  }

  /** What the latest stored row for a detector, condition and sample was computed from, and its label, if there is one. */
  lookup(detector: string, sampleId: string, condition = 'none'): (StoredIdentity & { label: string }) | undefined {
    const row = this.latest.get(rowGroup(detector, condition))?.get(sampleId);
    return row === undefined ? undefined : { cache_key: this.cacheKeys[row], label: this.labels[row], ...this.identities[this.identityOf[row]] };
  }

  /**
   * Gives the latest stored row of a sample another label (the metadata's label changed; the label is not part
   * of the score, so the row is reused): written when the file is compacted, which a finished run does.
   */
  relabel(detector: string, sampleId: string, condition: string, label: 0 | 1): void {
    const row = this.latest.get(rowGroup(detector, condition))?.get(sampleId);
    if (row !== undefined && this.labels[row] !== String(label)) this.relabels.set(row, label);
  }

  /** Rows in the file that a later row replaced. */
  get superseded(): number {
    return this.cacheKeys.length - this.live;
  }

  /** Appends rows and makes them durable before returning. */
  append(rows: PredictionRow[]): void {
    if (rows.length === 0) return;
    // Cells are text already (full precision, ids verbatim): the one CSV writer quotes them, nothing more.
    const text = csvText(rows.map((r) => PREDICTION_COLUMNS.map((c) => formatCell(r[c]))), DATA_FILE);
    writeSync(this.fd, text, fstatSync(this.fd).size);
    fsyncSync(this.fd);
    for (const r of rows) this.remember(r);
  }

  /** Rewrites the file without superseded rows, groups together (atomically: a kill leaves the old or the new file). */
  async compact(): Promise<void> {
    if (this.superseded === 0 && !this.interleaved && this.relabels.size === 0) return;
    const keep = new Uint8Array(this.cacheKeys.length);
    for (const samples of this.latest.values()) for (const row of samples.values()) keep[row] = 1;
    await this.rewrite((row) => keep[row] === 1);
  }

  close(): void {
    closeSync(this.fd);
  }

  private remember(record: Partial<Record<keyof PredictionRow, unknown>>): void {
    const condition = conditionOf(record.condition);
    const identity = { model_sha256: formatCell(record.model_sha256), protocol: formatCell(record.protocol), pipeline_hash: formatCell(record.pipeline_hash), condition };
    const text = `${identity.model_sha256}\u0000${identity.protocol}\u0000${identity.pipeline_hash}\u0000${condition}`;
    let index = this.identityIndex.get(text);
    if (index === undefined) this.identityIndex.set(text, (index = this.identities.push(identity) - 1));
    const row = this.cacheKeys.push(formatCell(record.cache_key)) - 1;
    this.identityOf.push(index);
    this.labels.push(formatCell(record.label));
    const group = rowGroup(formatCell(record.detector), condition);
    let g = this.groupIndex.get(group);
    if (g === undefined) this.groupIndex.set(group, (g = this.groupIndex.size));
    else if (g !== this.groupOf.at(-1)) this.interleaved = true;
    this.groupOf.push(g);
    let samples = this.latest.get(group);
    if (!samples) this.latest.set(group, (samples = new Map()));
    const id = formatCell(record.sample_id);
    if (!samples.has(id)) this.live++;
    samples.set(id, row);
  }

  /**
   * Writes the rows that pass `keep` (by position) under the current header to a temp file, grouped by
   * (detector, condition), then swaps it in. Each group goes to a part file of its own in one read of the file
   * (memory holds a batch per group), and the parts are joined in group order.
   */
  private async rewrite(keep: (row: number) => boolean): Promise<void> {
    const tmp = `${this.file}.tmp-${process.pid}`;
    const parts = Array.from({ length: this.groupIndex.size }, (_, g) => `${tmp}.${g}`);
    const out = openSync(tmp, 'w');
    try {
      writeSync(out, csvText([PREDICTION_COLUMNS], DATA_FILE));
      const batches: string[][][] = parts.map(() => []);
      const flush = (g: number) => batches[g].length > 0 && appendFileSync(parts[g], csvText(batches[g].splice(0), DATA_FILE));
      let row = 0;
      for await (const { record } of readCsvRecords(this.file)) {
        const g = this.groupOf[row];
        const label = this.relabels.get(row);
        if (label !== undefined) record.label = String(label);
        if (keep(row++)) batches[g].push(PREDICTION_COLUMNS.map((c) => record[c] ?? ''));
        if (batches[g].length >= 10_000) flush(g);
      }
      const buffer = Buffer.alloc(1 << 20);
      for (const [g, part] of parts.entries()) {
        flush(g);
        if (!existsSync(part)) continue;
        const from = openSync(part, 'r');
        for (let n; (n = readSync(from, buffer, 0, buffer.length, null)) > 0; ) writeSync(out, buffer, 0, n);
        closeSync(from);
        unlinkSync(part);
      }
      fsyncSync(out);
      closeSync(out);
    } catch (error) {
      closeSync(out);
      unlinkSync(tmp);
      for (const part of parts) rmSync(part, { force: true });
      throw error;
    }
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'r+');
    this.latest.clear();
    this.groupIndex.clear();
    this.cacheKeys.length = this.identityOf.length = this.labels.length = this.groupOf.length = this.live = 0;
    this.relabels.clear();
    this.interleaved = false;
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

const rowGroup = (detector: string, condition: string): string => `${detector}\u0000${condition}`;

function formatCell(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
