/**
 * Rows as aligned columns under upper-case headings, two spaces apart, with
 * no trailing blanks; `empty` when there are no rows. Pure.
 */
export function formatTable(headings: readonly string[], rows: readonly (readonly string[])[], options: { empty?: string } = {}): string {
  if (rows.length === 0) return `${options.empty ?? '(none)'}\n`;
  const all = [headings.map((h) => h.toUpperCase()), ...rows];
  const widths = headings.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => headings.map((_, i) => (r[i] ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Label/value lines, labels padded to one width. Pure. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n') + '\n';
}
