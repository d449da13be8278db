import { createHash } from 'node:crypto';
import { decodeImage } from '../image/decode.js';
import type { SampleContext } from '../image/run1-crop.js';
import { readDataFile, resolveDataPath } from '../util/fs.js';
import type { ResumeHint } from './ledger.js';

/** One image a loader yields. Loaders stream these; nothing holds the whole set. */
export interface Sample {
  /** Unique within the source (the Evalset's image_path, or the file's relative path). */
  id: string;
  /**
   * Absolute path of the image file, as the data names it (not yet checked: read it with readSampleFile). For a
   * sample read from an archive, `ARCHIVE:MEMBER` (for messages only; there is no such file).
   */
  path: string;
  /** The data folder: the image is read only if it lies inside (see src/util/fs.ts). */
  root: string;
  /** 0 = real, 1 = fake. */
  label: 0 | 1;
  /** The real source image's id, shared by a real image and every edit of it (for paired metrics). */
  pairId: string;
  /** What `--shard` assigns this sample by, when not its pairId (e.g. the archive it streams from): runner/shard.ts. */
  shardKey?: string;
  /** Every metadata column of the row, as text; unknown columns are kept. */
  meta: Record<string, string>;
  /**
   * The image's bytes, when the loader has them itself (an archive streamed in order) rather than a file to read
   * at `path`. Rejects with a DataFileError whose message is the row's error text.
   */
  read?: () => Promise<Buffer>;
  /**
   * The bytes of the row's edit mask, when the loader has it (a mask archive of the release) rather than a file at
   * `mask_path`; sampleContext uses it. Rejects with a DataFileError naming where the mask was looked for.
   */
  mask?: () => Promise<Buffer>;
}

/**
 * The bytes of a sample's image: what the loader hands over (`read`), else only a regular file inside the data
 * folder, up to MAX_DATA_FILE_BYTES. Throws a DataFileError whose message is the row's error text. The one place
 * a sample's bytes are obtained.
 */
export function readSampleFile(sample: Pick<Sample, 'root' | 'path' | 'read'>): Promise<Buffer> {
  return sample.read ? sample.read() : readDataFile(sample.root, sample.path);
}

/** A source of samples: the Evalset layout, a folder of real/ and fake/, a generated set. */
export interface DataSource {
  /** Where the data lives, for run.json. */
  readonly root: string;
  /**
   * Streams the samples in a stable order. `resume` (archive sources): the run's archive ledger and stored rows,
   * so a group of archives whose rows are all scored is skipped unread (see ledger.ts).
   */
  samples(resume?: ResumeHint): AsyncIterable<Sample>;
  /** How many samples `samples()` yields, when the source knows without streaming them (archives: the metadata rows). */
  count?(): Promise<number>;
  /** What the data itself got wrong (archives: orphan members, rows without a member, failed archives), for run.json; complete once `samples()` was read to the end. */
  readonly problems?: object;
  /**
   * The samples without their images (no archive is read): ids, labels, pair ids, meta and shard keys, from the
   * metadata alone. Archive sources yield them group by group in the order samples() reads the groups, rows in
   * metadata order within a group (member order is known only by reading the archive). Without it, samples().
   */
  rows?(): AsyncIterable<Sample>;
  /**
   * The source restricted to the samples whose shard key (see runner/shard.ts) `keep` accepts, reading only what
   * they need: an archive source opens only the archives of kept groups. Without it, samples() is filtered.
   */
  select?(keep: (shardKey: string) => boolean): DataSource;
}

/** An image's key: the first 16 hex digits of the sha256 of its bytes (predictions' cache_key, the score cache's key). */
export function imageKey(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** A source's samples for listing (ids, labels, meta), without reading images when the source can. */
export function listSamples(source: DataSource): AsyncIterable<Sample> {
  return source.rows ? source.rows() : source.samples();
}

/** Cells pandas `read_csv` reads as NaN by default: run_1.py treats such a `mask_path` as "no mask". */
export const PANDAS_NA = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);

/**
 * What sample-aware preprocessing may read (the semitruths-run1 protocol's mask-guided crop): the row's mask,
 * read and decoded only when an op asks for it, from `mask_path` relative to the data folder.
 */
export function sampleContext(sample: Sample): SampleContext {
  const { mask } = sample;
  if (mask) return { key: sample.id, mask: async () => decodeImage(await mask()) };
  const maskPath = sample.meta.mask_path;
  if (maskPath === undefined || PANDAS_NA.has(maskPath)) return { key: sample.id };
  return { key: sample.id, mask: async () => decodeImage(await readDataFile(sample.root, resolveDataPath(sample.root, maskPath))) };
}
