/**
 * Text for one Markdown table cell: a `|` would end the cell and a line break the row, so names and metadata
 * values (which may hold either) are written with `\|` and spaces. Backslashes are doubled first, so a value
 * ending in `\` cannot escape the closing bar.
 */
export function mdCell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r\n|\r|\n/g, ' ');
}
