import { UserError } from '../util/errors.js';

/**
 * The metadata's sample ids as raw bytes, one after another in one buffer: no string per row (1.5 M of them cost
 * more to make, keep and collect than the scan that finds them). Predictions are joined by comparing their id
 * field's bytes with the expected row's ({@link matches}); other lookups go through a hash index built on first
 * use ({@link rowOf}). Keys given as strings are Latin-1 strings of the id's bytes (see loaders/csv.ts fieldLatin1).
 */
export class SampleIds {
  private bytes = Buffer.allocUnsafe(1 << 20);
  /** ends[i]: where id i ends in `bytes` (it starts where id i - 1 ends). */
  private ends = new Int32Array(1 << 16);
  private used = 0;
  length = 0;
  private index: IdIndex | undefined;
  /** Lookups answered by a scan so far (see {@link rowOf}). */
  private scanned = 0;

  /** Appends the id held in src[start, end). */
  push(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.used + n > this.bytes.length) this.bytes = grown(this.bytes, this.used + n);
    if (this.length === this.ends.length) this.ends = grown(this.ends, this.length + 1);
    const { bytes } = this;
    let at = this.used;
    for (let p = start; p < end; p++) bytes[at++] = src[p]; // a loop beats a native copy call for ~60 bytes
    this.used = at;
    this.ends[this.length++] = at;
    this.index = undefined;
    this.scanned = 0;
  }

  /** Appends an id given as its Latin-1 key. */
  pushKey(key: string): void {
    const b = Buffer.from(key, 'latin1');
    this.push(b, 0, b.length);
  }

  /** Whether id `i` is byte for byte src[start, end). */
  matches(i: number, src: Uint8Array, start: number, end: number): boolean {
    const { bytes } = this;
    const a = i === 0 ? 0 : this.ends[i - 1];
    if (this.ends[i] - a !== end - start) return false;
    // from the end: ids of one folder share long prefixes
    for (let p = end - 1, q = this.ends[i] - 1; p >= start; p--, q--) if (bytes[q] !== src[p]) return false;
    return true;
  }

  /** Id `i` as its Latin-1 key. */
  key(i: number): string {
    return this.bytes.toString('latin1', i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }

  /**
   * The row of an id (Latin-1 key), or undefined. The first few lookups scan the ids (a report whose predictions
   * are in metadata order looks up only the ids that are not there, one per detector: a scan costs a
   * hundredth of the index); later ones build the index. An id that appears twice is an error naming `source`
   * and the id as `display` shows it: the looked-up one when scanning, any when the index is built.
   */
  rowOf(key: string, source: string, display: (key: string) => string = (k) => k): number | undefined {
    if (!this.index && this.scanned < SCANNED_LOOKUPS) {
      this.scanned++;
      const [first, second] = this.scan(key);
      if (second !== undefined) throw duplicate(source, display(key), first!, second);
      return first;
    }
    return (this.index ??= new IdIndex(this, this.bytes, this.ends, source, display)).get(key);
  }

  /** The first two rows holding `key` (lengths compared first). */
  private scan(key: string): (number | undefined)[] {
    const { bytes, ends } = this;
    const n = key.length;
    const found: number[] = [];
    let start = 0;
    for (let row = 0; row < this.length && found.length < 2; start = ends[row++]) {
      if (ends[row] - start !== n) continue;
      let i = 0;
      while (i < n && bytes[start + i] === key.charCodeAt(i)) i++;
      if (i === n) found.push(row);
    }
    return found;
  }
}

/** Lookups {@link SampleIds.rowOf} answers by scanning before it builds the index. */
const SCANNED_LOOKUPS = 16;

function grown<T extends Buffer | Int32Array>(a: T, need: number): T {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const b = (Buffer.isBuffer(a) ? Buffer.allocUnsafe(size) : new Int32Array(size)) as T;
  b.set(a);
  return b;
}

/**
 * Sample id → row: an open-addressing hash table of row numbers over the ids' bytes. Built in a fifth of the time
 * of a Map with 1.5 M string keys (FNV-1a over the bytes; collisions are checked by comparing the ids themselves),
 * and no extra copy of the keys.
 */
class IdIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** Throws a UserError naming the first id that appears twice. */
  constructor(
    ids: SampleIds,
    private readonly bytes: Buffer,
    private readonly ends: Int32Array,
    source: string,
    display: (key: string) => string,
  ) {
    let size = 1;
    while (size < ids.length * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let row = 0; row < ids.length; row++) {
      const start = row === 0 ? 0 : ends[row - 1];
      let s = hashBytes(bytes, start, ends[row]) & this.mask;
      for (;;) {
        const at = this.slots[s];
        if (at < 0) {
          this.slots[s] = row;
          break;
        }
        if (ids.matches(at, bytes, start, ends[row])) throw duplicate(source, display(ids.key(row)), at, row);
        s = (s + 1) & this.mask;
      }
    }
  }

  /** The row of `key`, or undefined. */
  get(key: string): number | undefined {
    let s = hashKey(key) & this.mask;
    for (;;) {
      const at = this.slots[s];
      if (at < 0) return undefined;
      if (this.is(at, key)) return at;
      s = (s + 1) & this.mask;
    }
  }

  private is(row: number, key: string): boolean {
    const start = row === 0 ? 0 : this.ends[row - 1];
    if (this.ends[row] - start !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (this.bytes[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }
}

function duplicate(source: string, id: string, first: number, second: number): UserError {
  return new UserError(`${source}: image_path '${id}' appears twice (rows ${first + 1} and ${second + 1}).`, 'E_DATA');
}

/** 32-bit FNV-1a over bytes. */
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 16777619);
  return h >>> 0;
}

/** {@link hashBytes} of a Latin-1 key (one char per byte). */
function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
