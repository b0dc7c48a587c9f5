/** A results table: printed to the console and written into docs/benchmarks.md alike. */
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Sentences printed under the table: method, flags, caveats. */
  readonly notes?: readonly string[];
}

export function renderTable(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [
    `| ${table.columns.map(escape).join(' | ')} |`,
    `|${table.columns.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function renderSection(table: Table): string {
  const notes = (table.notes ?? []).map((n) => `- ${n}`).join('\n');
  return `### ${table.title}\n\n${renderTable(table)}\n${notes === '' ? '' : `\n${notes}\n`}`;
}
