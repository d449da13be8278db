import { UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import { binOf, resolveBins, type Bins } from './bins.js';
import type { SliceSpec } from './spec.js';

/** The rows being sliced, column-wise: every metadata column as text, plus label per row. */
export interface SliceInput {
  columns: Record<string, string[]>;
  label: Uint8Array;
  rowCount: number;
}

/** One slice's value per row ('' = the row is not in this slice), and the bins used, if any. */
export interface AssignedSlice {
  spec: SliceSpec;
  values: string[];
  bins?: Bins & { source: 'quantiles' | 'fixed' | 'category column'; column: string };
}

const MISSING = '(missing)';

/**
 * Gives every row its value under each slice. A column that only fakes carry (change metrics, method,
 * editing model) leaves reals out of the slice; an empty value on a row that should have one is '(missing)'.
 */
export function assignSlices(specs: SliceSpec[], input: SliceInput): AssignedSlice[] {
  const done = new Map<string, AssignedSlice>();
  for (const spec of specs) {
    if ('cross' in spec) {
      const [a, b] = spec.cross.map((name) => {
        const part = done.get(name);
        if (!part) throw new UserError(`Slice '${spec.name}' crosses '${name}', which must be listed before it. ${unknownNameMessage('slice', name, [...done.keys()])}`, 'E_CONFIG');
        return part;
      });
      done.set(spec.name, { spec, values: a.values.map((v, i) => (v && b.values[i] ? `${v} x ${b.values[i]}` : '')) });
      continue;
    }
    const column = requireColumn(input, spec.column, spec.name);
    const fakeOnly = isFakeOnly(column, input.label);
    const keep = (i: number) => !(fakeOnly && input.label[i] === 0);
    if (!('bins' in spec)) {
      done.set(spec.name, { spec, values: column.map((v, i) => (keep(i) ? v || MISSING : '')) });
      continue;
    }
    const category = spec.categoryColumn ? input.columns[spec.categoryColumn] : undefined;
    if (category) {
      const values = category.map((v, i) => (keep(i) ? v || MISSING : ''));
      done.set(spec.name, { spec, values, bins: { edges: [], labels: [...new Set(values.filter(Boolean))].sort(), source: 'category column', column: spec.categoryColumn! } });
      continue;
    }
    const numbers = column.map((v) => (v.trim() === '' ? NaN : Number(v)));
    const passQc = input.columns.pass_qc;
    const basis = numbers.filter((v, i) => Number.isFinite(v) && input.label[i] === 1 && (!passQc || isTrue(passQc[i])));
    const bins = resolveBins(spec.bins, basis);
    const values = numbers.map((v, i) => (!keep(i) ? '' : Number.isFinite(v) && bins.labels.length ? binOf(v, bins) : MISSING));
    done.set(spec.name, { spec, values, bins: { ...bins, source: typeof spec.bins === 'object' ? 'fixed' : 'quantiles', column: spec.column } });
  }
  return specs.map((s) => done.get(s.name)!);
}

function requireColumn(input: SliceInput, column: string, slice: string): string[] {
  const values = input.columns[column];
  if (!values) {
    throw new UserError(`Slice '${slice}': ${unknownNameMessage('metadata column', column, Object.keys(input.columns))}`, 'E_CONFIG');
  }
  return values;
}

/** A column is fake-only when no real row has a value in it (change metadata exists only on edits). */
function isFakeOnly(column: string[], label: Uint8Array): boolean {
  let realWithValue = false;
  let any = false;
  for (let i = 0; i < column.length; i++) {
    if (column[i] === '') continue;
    any = true;
    if (label[i] === 0) realWithValue = true;
  }
  return any && !realWithValue;
}

function isTrue(v: string): boolean {
  return v === '1' || v.toLowerCase() === 'true';
}
