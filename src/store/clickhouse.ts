/**
 * A ClickHouse server over HTTP(S) with @clickhouse/client. Configured from the environment:
 * CLICKHOUSE_URL (http:// or https://), CLICKHOUSE_USER, CLICKHOUSE_PASSWORD,
 * CLICKHOUSE_DATABASE, and for TLS CLICKHOUSE_CA_FILE (plus CLICKHOUSE_CERT_FILE and
 * CLICKHOUSE_KEY_FILE for client certificates).
 *
 * Parameters: servers >= 19.11 bind {name:Type} themselves (param_* on the URL); older
 * ones (Debian's 18.16) get the values rendered client-side by literal.ts.
 *
 * Inserts are Native blocks (native.ts) in the request body: columnar, so the server copies
 * columns instead of parsing text, and no quoting of log data is involved.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { ConfigError } from '../config/errors.js';
import { featuresFor, type Features } from './features.js';
import { assertIdentifier, stripTrailingSemicolons, type Driver, type Row } from './driver.js';
import { COLUMN_TYPES_SQL, TableEncoders, type NativeColumn } from './native.js';
import { bindValues } from './params.js';
import { bindClientSide } from './literal.js';
import type { QueryParams } from './store.js';

export interface ServerOptions {
  url: string;
  username?: string;
  password?: string;
  database: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  requestTimeoutMs?: number;
}

/** Server options from the environment; null when CLICKHOUSE_URL is not set. */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, defaultDatabase = 'breakwater'): ServerOptions | null {
  const url = env.CLICKHOUSE_URL?.trim();
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`invalid configuration in environment:\n  CLICKHOUSE_URL: not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`invalid configuration in environment:\n  CLICKHOUSE_URL: must be http:// or https://`);
  }
  const database = env.CLICKHOUSE_DATABASE?.trim() || defaultDatabase;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new ConfigError(`invalid configuration in environment:\n  CLICKHOUSE_DATABASE: a plain identifier (letters, digits, underscore)`);
  }
  return {
    url,
    username: env.CLICKHOUSE_USER || undefined,
    password: env.CLICKHOUSE_PASSWORD || undefined,
    database,
    caFile: env.CLICKHOUSE_CA_FILE || undefined,
    certFile: env.CLICKHOUSE_CERT_FILE || undefined,
    keyFile: env.CLICKHOUSE_KEY_FILE || undefined,
  };
}

/** The URL without user info, for logs and messages. */
function redactedUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function makeClient(opts: ServerOptions, database: string | undefined): ClickHouseClient {
  const readPem = (file: string) => readFileSync(file);
  const tls = opts.caFile
    ? opts.certFile && opts.keyFile
      ? { ca_cert: readPem(opts.caFile), cert: readPem(opts.certFile), key: readPem(opts.keyFile) }
      : { ca_cert: readPem(opts.caFile) }
    : undefined;
  return createClient({
    url: opts.url,
    username: opts.username,
    password: opts.password,
    database,
    tls,
    request_timeout: opts.requestTimeoutMs ?? 60_000,
    // Counts as JSON numbers on every version (18.16 quotes 64-bit integers by default).
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    log: { level: ClickHouseLogLevel.OFF },
  });
}

export class ServerDriver implements Driver {
  readonly kind = 'server' as const;
  private readonly encoders = new TableEncoders((table) => this.select<NativeColumn>(COLUMN_TYPES_SQL, { table }));

  private constructor(
    private readonly client: ClickHouseClient,
    readonly features: Features,
    readonly location: string,
  ) {}

  static async open(opts: ServerOptions): Promise<ServerDriver> {
    const database = assertIdentifier(opts.database);
    const bootstrap = makeClient(opts, undefined);
    let version: string;
    try {
      const rs = await bootstrap.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
      version = ((await rs.json()) as { v: string }[])[0].v;
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    } finally {
      await bootstrap.close();
    }
    const location = `${redactedUrl(opts.url)} database ${database}`;
    return new ServerDriver(makeClient(opts, database), featuresFor(version), location);
  }

  async exec(sql: string, settings: Record<string, number> = {}): Promise<void> {
    await this.client.command({ query: sql, clickhouse_settings: settings });
  }

  async select<T>(sql: string, params: QueryParams = {}): Promise<T[]> {
    const text = stripTrailingSemicolons(sql);
    const rs = this.features.queryParameters
      ? await this.client.query({ query: text, query_params: bindValues(text, params).values, format: 'JSONEachRow' })
      : await this.client.query({ query: bindClientSide(text, params), format: 'JSONEachRow' });
    return (await rs.json()) as T[];
  }

  async encodeRows(table: string, columns: readonly string[], rows: readonly Row[]): Promise<Buffer> {
    return (await this.encoders.get(assertIdentifier(table), columns.map(assertIdentifier))).encode(rows);
  }

  async insertBlock(table: string, columns: readonly string[], block: Buffer): Promise<void> {
    const result = await this.client.exec({
      query: `INSERT INTO ${assertIdentifier(table)} (${columns.map(assertIdentifier).join(', ')}) FORMAT Native`,
      values: Readable.from([block]),
      clickhouse_settings: this.features.optimizeOnInsert ? { optimize_on_insert: 0 } : {},
    });
    result.stream.resume();
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve);
      result.stream.once('error', reject);
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
