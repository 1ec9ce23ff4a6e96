/**
 * Saved correlation queries: sql/queries/NAME.sql. The header comment declares them:
 *
 *   -- description: what the query answers
 *   -- param: NAME TYPE [= DEFAULT] | what it means
 *
 * TYPE is a ClickHouse type as used in the {NAME:TYPE} placeholders of the body; DEFAULT is
 * taken verbatim ('' for the empty string); a param without a default is required. Values are
 * always bound, never spliced (params.ts, literal.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseParamType, ParamError, scanPlaceholders } from './params.js';
import type { QueryParams } from './store.js';

export const QUERIES_DIR = fileURLToPath(new URL('../../sql/queries/', import.meta.url));

export interface SavedParam {
  name: string;
  type: string;
  default: string | null;
  description: string;
}

export interface SavedQuery {
  name: string;
  description: string;
  params: SavedParam[];
  sql: string;
}

const PARAM_LINE = /^--\s*param:\s*([A-Za-z_]\w*)\s+(.+?)(?:\s*=\s*(.*?))?\s*\|\s*(.*)$/;

export function parseSavedQuery(name: string, text: string): SavedQuery {
  let description = '';
  const params: SavedParam[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('--')) break;
    const d = /^--\s*description:\s*(.*)$/.exec(line);
    if (d) description = d[1].trim();
    const p = PARAM_LINE.exec(line);
    if (p) {
      parseParamType(p[2]);
      const raw = p[3] ?? null;
      const dflt = raw === null ? null : /^'.*'$/.test(raw) ? raw.slice(1, -1) : raw;
      params.push({ name: p[1], type: p[2].trim(), default: dflt, description: p[4].trim() });
    }
  }
  const declared = new Map(params.map((p) => [p.name, p.type]));
  for (const ph of scanPlaceholders(text)) {
    const type = declared.get(ph.name);
    if (type === undefined) throw new Error(`query ${name}: placeholder {${ph.name}} is not declared in the header`);
    if (type !== ph.typeText) throw new Error(`query ${name}: {${ph.name}} is used as ${ph.typeText} but declared ${type}`);
  }
  return { name, description, params, sql: text };
}

export function listSavedQueries(dir = QUERIES_DIR): SavedQuery[] {
  return readdirSync(dir)
    .filter((f) => /^[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => parseSavedQuery(f.slice(0, -4), readFileSync(`${dir}/${f}`, 'utf8')));
}

export function loadSavedQuery(name: string, dir = QUERIES_DIR): SavedQuery | null {
  if (!/^[a-z0-9_]+$/.test(name)) return null;
  try {
    return parseSavedQuery(name, readFileSync(`${dir}/${name}.sql`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The saved query's parameters: given values over defaults; unknown or missing ones are errors. */
export function resolveParams(query: SavedQuery, given: Record<string, string>): QueryParams {
  const known = new Set(query.params.map((p) => p.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) throw new ParamError(`query ${query.name} has no parameter '${name}' (has: ${[...known].join(', ') || 'none'})`);
  }
  const values: QueryParams = {};
  for (const p of query.params) {
    const v = given[p.name] ?? p.default;
    if (v === null) throw new ParamError(`query ${query.name} needs --param ${p.name}=… (${p.type}: ${p.description})`);
    values[p.name] = v;
  }
  return values;
}
