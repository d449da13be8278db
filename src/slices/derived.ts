/** What a derived column is computed from (a MetadataTable has these; a structural type, not an import cycle). */
export interface DerivedInputs {
  rowCount: number;
  label: Uint8Array;
  pair: Int32Array;
  pairIds: readonly string[];
  numeric: ReadonlyMap<string, Float64Array>;
}

/** A numeric column computed from others when the metadata does not carry it. */
export interface DerivedColumn {
  /** One line for reports. */
  describe: string;
  /** Columns it needs as item counts of a list string (`"['sky', 'tree']"` → 2). */
  listCounts: readonly string[];
  /** Columns it needs at all (for "unknown column" messages). */
  from: readonly string[];
  compute(table: DerivedInputs): Float64Array;
}

/** Key under which a list column's item counts are stored in the metadata's numeric columns. */
export function listCountKey(column: string): string {
  return `len(${column})`;
}

/**
 * Semi-Truths scene columns (semi-truths-dataset.md §5D, scene_diversity_complexity.py): diversity is the
 * number of entities in the photo, complexity the number of edits made from it. Both are properties of the
 * source image, so a real row carries the same value as its edits.
 */
export const DERIVED_COLUMNS: Record<string, DerivedColumn> = {
  scene_diversity: {
    describe: 'number of entities in the source image (items of the `entities` list)',
    listCounts: ['entities'],
    from: ['entities'],
    compute: (table) => table.numeric.get(listCountKey('entities'))!,
  },
  scene_complexity: {
    // The authors count masks per image in the source-image CSV (semibench measure writes that); without a
    // scene_complexity column the report can only count the edits in this metadata.
    describe: 'edits per source image (fake rows sharing its image_id; the released/measured column counts masks per image)',
    listCounts: [],
    from: ['image_id'],
    compute: (table) => {
      const perImage = new Float64Array(table.pairIds.length);
      for (let i = 0; i < table.rowCount; i++) if (table.label[i] === 1) perImage[table.pair[i]]++;
      const out = new Float64Array(table.rowCount);
      for (let i = 0; i < table.rowCount; i++) out[i] = perImage[table.pair[i]];
      return out;
    },
  },
};

/**
 * Items in a Python-style list string: `"['sky', 'tree']"` → 2, `"[]"` → 0, a bare word → 1, empty or a
 * pandas missing value (`nan`, `None`) → NaN. Commas inside quotes do not split items; malformed lists are
 * read leniently (the count of what is there), not rejected.
 */
export function countListItems(text: string): number {
  const s = text.trim();
  if (s === '' || /^(nan|none)$/i.test(s)) return NaN;
  if (s[0] !== '[') return 1;
  let items = 0;
  let content = false;
  let quote = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      content = true;
    } else if (c === ',') {
      items++;
      content = false;
    } else if (c === ']') {
      break;
    } else if (c !== ' ') {
      content = true;
    }
  }
  return items + (content ? 1 : 0);
}
