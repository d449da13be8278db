import { UserError } from '../util/errors.js';
import { nearest, unknownNameMessage } from '../util/suggest.js';
import { DERIVED_COLUMNS } from './derived.js';
import { columnNames, isBinned, isCrossed, type ColumnRef, type SliceSpec } from './spec.js';

/** A slice spec with its column references resolved against the metadata's header. */
export interface PlannedSlice {
  spec: SliceSpec;
  name: string;
  kind: 'categorical' | 'binned' | 'crossed';
  /** The column used (categorical, binned). */
  column?: string;
  /** The released category column used instead of computing bins, when the metadata has it. */
  categoryColumn?: string;
  /** True when `column` is computed (src/slices/derived.ts), not read. */
  derived?: boolean;
}

/** Which metadata columns a report must read, and how. */
export interface ColumnNeeds {
  categorical: Set<string>;
  numeric: Set<string>;
  /** Columns read as the item count of a list string. */
  listCounts: Set<string>;
  /** Derived columns to compute after reading. */
  derived: Set<string>;
}

export interface SlicePlan {
  slices: PlannedSlice[];
  /** Optional slices left out because the metadata lacks their column. */
  skipped: { name: string; reason: string }[];
  needs: ColumnNeeds;
}

/** Column that gates quantile bins to QC-passing rows, when present. */
export const QC_COLUMN = 'pass_qc';

/**
 * Resolves slice specs against a metadata header: picks the first present name of each column reference,
 * checks crossed slices' parts, and lists the columns to read. `selected` (from `--slices`) keeps only those
 * slices, plus the parts of crossed ones. An unknown slice name, or a missing column of a slice that is not
 * optional (or was asked for by name), is a UserError naming the nearest match.
 */
export function planSlices(specs: readonly SliceSpec[], header: readonly string[], selected?: readonly string[]): SlicePlan {
  const byName = new Map(specs.map((s) => [s.name, s]));
  if (byName.size !== specs.length) throw new UserError(`Slice names must be unique; got ${specs.map((s) => s.name).join(', ')}.`, 'E_CONFIG');
  const wanted = new Set<string>();
  const want = (name: string, from?: string): void => {
    const spec = byName.get(name);
    if (!spec) {
      const where = from ? `Slice '${from}' crosses '${name}', which is not a slice. ` : '';
      throw new UserError(`${where}${unknownNameMessage('slice', name, [...byName.keys()])}`, 'E_CONFIG');
    }
    wanted.add(name);
    if (isCrossed(spec)) for (const part of spec.cross) want(part, name);
  };
  for (const name of selected ?? specs.map((s) => s.name)) want(name);
  const explicit = new Set(selected ?? []);

  const has = new Set(header);
  const needs: ColumnNeeds = { categorical: new Set(), numeric: new Set(), listCounts: new Set(), derived: new Set() };
  const planned = new Map<string, PlannedSlice>();
  const skipped: SlicePlan['skipped'] = [];
  for (const spec of specs) {
    if (!wanted.has(spec.name)) continue;
    const optional = spec.optional && !explicit.has(spec.name);
    const skip = (reason: string): void => {
      if (optional) skipped.push({ name: spec.name, reason });
      else throw new UserError(`Slice '${spec.name}': ${reason}`, 'E_CONFIG');
    };
    if (isCrossed(spec)) {
      const missing = spec.cross.find((part) => !planned.has(part));
      if (missing !== undefined) skip(`it crosses '${missing}', which is skipped or listed after it`);
      else planned.set(spec.name, { spec, name: spec.name, kind: 'crossed' });
      continue;
    }
    const column = firstPresent(spec.column, has);
    if (column === undefined) {
      skip(missingColumnMessage(spec.column, header, !optional));
      continue;
    }
    const derived = !has.has(column);
    if (derived) {
      needs.derived.add(column);
      for (const c of DERIVED_COLUMNS[column].listCounts) needs.listCounts.add(c);
    }
    if (isBinned(spec)) {
      const categoryColumn = spec.categoryColumn ? firstPresent(spec.categoryColumn, has, false) : undefined;
      if (categoryColumn) needs.categorical.add(categoryColumn);
      else if (!derived) needs.numeric.add(column);
      if (spec.basisWhere && has.has(spec.basisWhere.column)) needs.categorical.add(spec.basisWhere.column);
      planned.set(spec.name, { spec, name: spec.name, kind: 'binned', column, categoryColumn, derived });
    } else {
      if (derived) throw new UserError(`Slice '${spec.name}': derived column '${column}' is numeric; give the slice bins.`, 'E_CONFIG');
      needs.categorical.add(column);
      planned.set(spec.name, { spec, name: spec.name, kind: 'categorical', column });
    }
  }
  if ([...planned.values()].some((s) => s.kind === 'binned' && !s.categoryColumn) && has.has(QC_COLUMN)) needs.categorical.add(QC_COLUMN);
  // keep the config's order: it is the order of files and tables
  return { slices: specs.filter((s) => planned.has(s.name)).map((s) => planned.get(s.name)!), skipped, needs };
}

function firstPresent(ref: ColumnRef, has: Set<string>, allowDerived = true): string | undefined {
  for (const name of columnNames(ref)) {
    if (has.has(name)) return name;
    const derived = allowDerived ? DERIVED_COLUMNS[name] : undefined;
    if (derived && derived.from.every((c) => has.has(c))) return name;
  }
  return undefined;
}

/** Why a column reference matched nothing; `listKnown` adds the header (for errors, not for skip notes). */
function missingColumnMessage(ref: ColumnRef, header: readonly string[], listKnown: boolean): string {
  const names = columnNames(ref);
  const derived = names.map((n) => DERIVED_COLUMNS[n]).find((d) => d !== undefined);
  if (names.length === 1 && listKnown && !derived) return unknownNameMessage('metadata column', names[0], header);
  const hint = names.map((n) => nearest(n, header)).find((h) => h !== undefined);
  const what = names.length === 1 ? `metadata column '${names[0]}'` : `metadata column ${names.map((n) => `'${n}'`).join(' or ')}`;
  const needs = derived ? ` (derived from ${derived.from.map((c) => `'${c}'`).join(', ')})` : '';
  return `no ${what}${needs}.${hint ? ` Did you mean '${hint}'?` : ''}${listKnown ? ` Known: ${header.join(', ')}.` : ''}`;
}
