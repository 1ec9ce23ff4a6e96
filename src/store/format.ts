/** Query results for people (aligned table), programs (NDJSON) and spreadsheets (CSV, RFC 4180). */
export type OutputFormat = 'table' | 'json' | 'csv';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function columnsOf(rows: Record<string, unknown>[]): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

export function formatRows(rows: Record<string, unknown>[], format: OutputFormat): string {
  if (format === 'json') return rows.map((r) => JSON.stringify(r) + '\n').join('');
  const cols = columnsOf(rows);
  if (format === 'csv') {
    const esc = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [cols, ...rows.map((r) => cols.map((c) => cell(r[c])))].map((line) => line.map(esc).join(',') + '\n').join('');
  }
  if (rows.length === 0) return '(no rows)\n';
  // Control characters from log data are shown escaped so they cannot break the layout.
  const show = (v: unknown) => cell(v).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const table = [cols, ...rows.map((r) => cols.map((c) => show(r[c])))];
  const widths = cols.map((_, i) => Math.max(...table.map((line) => line[i].length)));
  const numeric = cols.map((c) => rows.every((r) => typeof r[c] === 'number' || r[c] === null));
  const render = (line: string[]) => line.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [render(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(render)].join('\n') + '\n';
}
