/**
 * The `show stat` / stats page CSV (management guide, section 9.1): a `# pxname,svname,…`
 * header, then one row per frontend, backend and server. Fields HAProxy may quote (check
 * descriptions with commas) follow RFC 4180 quoting.
 */

export type StatRow = Record<string, string>;

export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseStatCsv(text: string): StatRow[] {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.startsWith('# '));
  if (headerAt < 0) throw new Error('no "# pxname,svname,…" header in stats CSV');
  const header = splitCsvLine(lines[headerAt].slice(2));
  const rows: StatRow[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    if (!line || line.startsWith('#')) continue;
    const cells = splitCsvLine(line);
    const row: StatRow = {};
    header.forEach((h, i) => {
      if (h) row[h] = cells[i] ?? '';
    });
    rows.push(row);
  }
  return rows;
}

/** Server rows only (type 2), not the FRONTEND/BACKEND aggregates. */
export function serverRows(rows: StatRow[]): StatRow[] {
  return rows.filter((r) => r.type === '2' || (r.type === undefined && r.svname !== 'FRONTEND' && r.svname !== 'BACKEND'));
}

export function numberOrNull(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
