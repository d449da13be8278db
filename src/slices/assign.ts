import { resolveBins, type Bins } from './bins.js';
import type { CategoricalColumn, MetadataTable } from './metadata.js';
import { QC_COLUMN, type PlannedSlice } from './plan.js';
import { ALL_SLICE, type BinnedSlice } from './spec.js';
import { compareValues } from './value-order.js';

/** Where a binned slice's bins came from, as results.json records them. */
export interface BinsInfo extends Bins {
  source: 'quantiles' | 'mean ± sd' | 'fixed' | 'category column';
  /** The column the edges apply to (or the category column read). */
  column: string;
  /** What the edges were computed over, and how many values. */
  basis?: string;
  n?: number;
  /** Where rows without a value went ('bin5 (final_bins.py)' or '(missing)'), and how many there were. */
  missingValues?: { to: string; rows: number };
  /** The bins kept, renamed (the paper's small / medium / large = 5-bin bins 1, 3, 5); the others are left out. */
  kept?: Record<string, string>;
}

/** Every metadata row's group under one slice. */
export interface AssignedSlice {
  name: string;
  planned?: PlannedSlice;
  /** Group per metadata row; -1 = the row is not in this slice (a real, for a fake-only slice). */
  codes: Int32Array;
  /** Group code → value label, in report order. */
  values: string[];
  /**
   * True when only fakes carry the column (change metadata exists only on edits): reals are left out and
   * the slice reports recall on fakes plus paired metrics against the fakes' own source reals.
   */
  fakeOnly: boolean;
  bins?: BinsInfo;
}

/** The label of rows whose column is empty or not a number. */
export const MISSING = '(missing)';

/** The slice holding every row. */
export function allSlice(meta: MetadataTable): AssignedSlice {
  return { name: ALL_SLICE, codes: new Int32Array(meta.rowCount), values: [ALL_SLICE], fakeOnly: false };
}

/**
 * Gives every metadata row its group under each planned slice. `fixedBins` (slice → bins) replaces computed
 * quantiles: `compare` uses run A's edges for run B, so "bin1" means the same range in both.
 */
export function assignSlices(planned: readonly PlannedSlice[], meta: MetadataTable, fixedBins?: ReadonlyMap<string, Bins>): AssignedSlice[] {
  const done = new Map<string, AssignedSlice>();
  const bases = new Map<string, { basis: Float64Array; description: string }>();
  for (const p of planned) {
    let slice: AssignedSlice;
    if (p.kind === 'crossed') {
      const [a, b] = (p.spec as { cross: readonly [string, string] }).cross.map((name) => done.get(name)!);
      slice = cross(p, a, b);
    } else if (p.kind === 'categorical' || p.categoryColumn) {
      slice = categorical(p, meta.categorical.get(p.categoryColumn ?? p.column!)!, meta);
      // a category column leaves p2p rows empty; outside the basis they are out of the slice, not '(missing)'
      const applies = p.categoryColumn ? basisRows(p.spec as BinnedSlice, meta) : undefined;
      if (applies) slice = leaveOut(slice, applies, 0);
      if (p.categoryColumn) slice.bins = { edges: [], labels: slice.values.filter((v) => v !== MISSING), source: 'category column', column: p.categoryColumn };
    } else {
      slice = binned(p, meta, fixedBins?.get(p.name), bases);
    }
    const keep = p.kind === 'binned' ? (p.spec as BinnedSlice).keepBins : undefined;
    if (keep) slice = keepBins(slice, keep);
    if (p.spec.fakesOnly) slice = fakesOnly(slice, meta);
    done.set(p.name, slice);
  }
  return planned.map((p) => done.get(p.name)!);
}

function categorical(p: PlannedSlice, column: CategoricalColumn, meta: MetadataTable): AssignedSlice {
  const { codes, values } = column;
  const present = values.map((v) => v.trim() !== '');
  let realWithValue = false;
  let any = false;
  for (let i = 0; i < meta.rowCount; i++) {
    if (!present[codes[i]]) continue;
    any = true;
    if (meta.label[i] === 0) realWithValue = true;
  }
  const fakeOnly = any && !realWithValue;
  // report order: sorted values, '(missing)' last; empty text collapses into '(missing)'
  const labels = [...new Set(values.map((v, c) => (present[c] ? v : MISSING)))];
  labels.sort(compareValues);
  const position = new Map(labels.map((v, i) => [v, i]));
  const remap = Int32Array.from(values, (v, c) => position.get(present[c] ? v : MISSING)!);
  const out = new Int32Array(meta.rowCount);
  const used = new Uint8Array(labels.length);
  for (let i = 0; i < meta.rowCount; i++) {
    if (fakeOnly && meta.label[i] === 0) {
      out[i] = -1;
      continue;
    }
    out[i] = remap[codes[i]];
    used[out[i]] = 1;
  }
  return compact({ name: p.name, planned: p, codes: out, values: labels, fakeOnly }, used);
}

function binned(p: PlannedSlice, meta: MetadataTable, fixed: Bins | undefined, bases: Map<string, { basis: Float64Array; description: string }>): AssignedSlice {
  const spec = p.spec as BinnedSlice;
  const values = meta.numeric.get(p.column!)!;
  let realWithValue = false;
  let any = false;
  for (let i = 0; i < meta.rowCount; i++) {
    if (Number.isNaN(values[i])) continue;
    any = true;
    if (meta.label[i] === 0) realWithValue = true;
  }
  const fakeOnly = any && !realWithValue;
  let bins: BinsInfo;
  if (fixed) {
    bins = { ...fixed, source: 'fixed', column: p.column! };
  } else {
    // the 3-bin and 5-bin slices of a column share one basis
    const key = `${p.column}\u0000${spec.over ?? 'rows'}`;
    let entry = bases.get(key);
    if (!entry) {
      const b = binBasis(spec, meta, values);
      bases.set(key, (entry = b));
    }
    const { basis, description } = entry;
    const resolved = resolveBins(spec.bins, basis);
    const source = typeof spec.bins === 'object' ? 'fixed' : spec.bins === 'meanStd' ? 'mean ± sd' : 'quantiles';
    bins = { ...resolved, source, column: p.column!, ...(source === 'fixed' ? {} : { basis: description, n: basis.length }) };
  }
  const labels = [...bins.labels, MISSING];
  const codes = new Int32Array(meta.rowCount);
  const edges = Float64Array.from(bins.edges);
  const missing = bins.labels.length;
  const applies = basisRows(spec, meta);
  const label = meta.label;
  // final_bins.py: a NaN fails every `v < edge`, so it lands in the last bin (quantile bins, unless asked otherwise)
  const lastBin = (spec.missingValue ?? (spec.bins === 'quantile3' || spec.bins === 'quantile5' ? 'lastBin' : 'own')) === 'lastBin' && missing > 0;
  let missingRows = 0;
  // binIndex inlined: 1.5 M rows x 14 binned slices
  for (let i = 0; i < meta.rowCount; i++) {
    const v = values[i];
    if (fakeOnly && label[i] === 0) codes[i] = -1;
    else if (applies && applies[i] === 0) codes[i] = -1; // not binned at all (area_ratio of a p2p edit)
    else if (v !== v || missing === 0) {
      codes[i] = lastBin ? missing - 1 : missing;
      missingRows++;
    } else {
      let b = 0;
      while (b < edges.length && !(v < edges[b])) b++;
      codes[i] = b;
    }
  }
  if (missing > 0) bins.missingValues = { to: lastBin ? `${bins.labels[missing - 1]} (final_bins.py: no value fails every < edge)` : MISSING, rows: missingRows };
  // every bin stays (an empty bin is a row with a reason); '(missing)' only when some row has it
  const used = new Uint8Array(labels.length).fill(1, 0, bins.labels.length);
  for (let i = 0; i < meta.rowCount; i++) if (codes[i] === bins.labels.length) used[bins.labels.length] = 1;
  return compact({ name: p.name, planned: p, codes, values: labels, fakeOnly, bins }, used);
}

/**
 * The values bins are computed over: fakes with a finite value that do not fail QC (the paper's `pass_qc == 1`;
 * an empty pass_qc means no rule could be applied), or with `over: 'images'` one value per source image (scene columns are per image).
 */
function binBasis(spec: BinnedSlice, meta: MetadataTable, values: Float64Array): { basis: Float64Array; description: string } {
  const applies = basisRows(spec, meta);
  const where = applies ? `, ${spec.basisWhere!.column} = ${spec.basisWhere!.equals} only` : '';
  if (spec.over === 'images') {
    const seen = new Uint8Array(meta.pairIds.length);
    const out: number[] = [];
    for (let i = 0; i < meta.rowCount; i++) {
      const pair = meta.pair[i];
      if (seen[pair] || Number.isNaN(values[i])) continue;
      seen[pair] = 1;
      out.push(values[i]);
    }
    return { basis: Float64Array.from(out), description: 'one value per source image' };
  }
  const qc = meta.categorical.get(QC_COLUMN);
  // binning.py keeps `pass_qc == 1` (inpainting and p2p together). `semibench measure` leaves pass_qc empty where
  // no QC rule could be applied: when no row says 1, only an explicit fail excludes a row.
  const passed = qc?.values.map((v) => ['1', '1.0', 'true'].includes(v.trim().toLowerCase()));
  const { label } = meta;
  let anyPassed = false;
  if (qc) for (let i = 0; i < meta.rowCount && !anyPassed; i++) anyPassed = passed![qc.codes[i]] && label[i] === 1;
  const passes = qc && (anyPassed ? passed : qc.values.map((v) => !['0', '0.0', 'false'].includes(v.trim().toLowerCase())));
  const qcCodes = qc?.codes;
  const out = new Float64Array(meta.rowCount);
  let n = 0;
  for (let i = 0; i < meta.rowCount; i++) {
    if (label[i] !== 1 || Number.isNaN(values[i])) continue;
    if (passes && !passes[qcCodes![i]]) continue;
    if (applies && applies[i] === 0) continue;
    out[n++] = values[i];
  }
  const rule = !qc ? 'fakes (no pass_qc column)' : anyPassed ? `fakes with ${QC_COLUMN} == 1` : `fakes not failing ${QC_COLUMN} (no row has ${QC_COLUMN} == 1)`;
  return { basis: out.slice(0, n), description: `${rule}${where}` };
}

/** 1 for each row a slice's `basisWhere` admits, or undefined when it has none (or the metadata lacks its column). */
function basisRows(spec: BinnedSlice, meta: MetadataTable): Uint8Array | undefined {
  const column = spec.basisWhere && meta.categorical.get(spec.basisWhere.column);
  if (!column) return undefined;
  const ok = Uint8Array.from(column.values, (v) => (v === spec.basisWhere!.equals ? 1 : 0));
  const { codes } = column;
  const rows = new Uint8Array(meta.rowCount);
  for (let i = 0; i < rows.length; i++) rows[i] = ok[codes[i]];
  return rows;
}

/**
 * Keeps the bins `keep` names, renamed, and leaves every other row out of the slice (code -1). A released
 * category column may write bin 1 as `bin1` or `1` (final_bins.py); both match `bin1`.
 */
function keepBins(slice: AssignedSlice, keep: Record<string, string>): AssignedSlice {
  const target = slice.values.map((v) => keep[v] ?? keep[`bin${v}`]);
  const labels = [...new Set(Object.values(keep))];
  const to = Int32Array.from(target, (t) => (t === undefined ? -1 : labels.indexOf(t)));
  const codes = new Int32Array(slice.codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = slice.codes[i];
    codes[i] = c < 0 ? -1 : to[c];
  }
  const bins = slice.bins && { ...slice.bins, kept: keep }; // edges and labels stay the 5-bin ones they were cut with
  return { ...slice, codes, values: labels, bins };
}

function cross(p: PlannedSlice, a: AssignedSlice, b: AssignedSlice): AssignedSlice {
  const nb = b.values.length;
  const values: string[] = [];
  for (const va of a.values) for (const vb of b.values) values.push(`${va} x ${vb}`);
  const codes = new Int32Array(a.codes.length);
  const used = new Uint8Array(values.length);
  for (let i = 0; i < codes.length; i++) {
    const ca = a.codes[i];
    const cb = b.codes[i];
    codes[i] = ca < 0 || cb < 0 ? -1 : ca * nb + cb;
    if (codes[i] >= 0) used[codes[i]] = 1;
  }
  return compact({ name: p.name, planned: p, codes, values, fakeOnly: a.fakeOnly || b.fakeOnly }, used);
}

/** The slice without its real rows. */
function fakesOnly(slice: AssignedSlice, meta: MetadataTable): AssignedSlice {
  return { ...leaveOut(slice, meta.label, 0), fakeOnly: true };
}

/** The slice without the rows whose `flags` entry is `out` (typed arrays, no callback: 1.5 M rows per slice). */
function leaveOut(slice: AssignedSlice, flags: Uint8Array, out: number): AssignedSlice {
  const codes = new Int32Array(slice.codes.length);
  const used = new Uint8Array(slice.values.length);
  for (let i = 0; i < codes.length; i++) {
    const c = flags[i] === out ? -1 : slice.codes[i];
    codes[i] = c;
    if (c >= 0) used[c] = 1;
  }
  return compact({ ...slice, codes }, used);
}

/** Drops values no row has (keeping their order) and renumbers the codes. */
function compact(slice: AssignedSlice, used: Uint8Array): AssignedSlice {
  if (used.every((u) => u === 1)) return slice;
  const renumber = new Int32Array(used.length).fill(-1);
  const values: string[] = [];
  used.forEach((u, c) => {
    if (u) renumber[c] = values.push(slice.values[c]) - 1;
  });
  const codes = slice.codes;
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) codes[i] = renumber[codes[i]];
  return { ...slice, codes, values };
}

