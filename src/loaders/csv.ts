import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { UserError } from '../util/errors.js';

/**
 * Streams a CSV file as records keyed by its header, one at a time, with the 1-based line number of each
 * record. The header itself is passed to `onHeader` before the first record, so callers can validate columns.
 */
export async function* readCsvRecords(
  file: string,
  onHeader?: (columns: string[]) => void,
): AsyncGenerator<{ record: Record<string, string>; line: number }> {
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: false,
      skip_empty_lines: true,
      columns: (header: string[]) => {
        const columns = header.map((c) => c.trim());
        onHeader?.(columns);
        return columns;
      },
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { record, line: info.lines };
    }
  } catch (error) {
    // csv-parse reports malformed rows (wrong column count, bad quoting) with the line: keep that, drop the stack.
    if (error instanceof CsvError) throw new UserError(`${file}: ${error.message}`, 'E_DATA', { cause: error });
    throw error;
  }
}
