/**
 * What the connected ClickHouse can do, from `SELECT version()`. The ONE place version
 * thresholds live: migrations render their clauses from these flags, the drivers pick
 * server-side or client-side parameter binding from `queryParameters`.
 *
 * Minimum supported: 18.16 (Debian's package). Older servers lose, per flag below:
 * millisecond timestamps (seconds + a timestamp_ms column), TTL retention (delete old
 * partitions yourself), column codecs (default LZ4 only), and server-side query parameters
 * (bound client-side by src/store/literal.ts).
 */
export interface Features {
  version: string;
  /** DateTime64(3): 20.1. Before: DateTime + timestamp_ms UInt16. */
  dateTime64: boolean;
  /** Table TTL: 19.6. */
  ttl: boolean;
  /** Column CODEC(...) incl. Delta/DoubleDelta/ZSTD: 19.10 (conservative). */
  codecs: boolean;
  /** LowCardinality needs `allow_experimental_low_cardinality_type = 1` before 19.1. */
  lowCardinalitySetting: boolean;
  /** {name:Type} placeholders bound from param_* (HTTP) / queryBind: 19.11 (conservative). */
  queryParameters: boolean;
  /**
   * The `optimize_on_insert` setting (21.1, conservative), on by default: it collapses
   * ReplacingMergeTree duplicates inside each inserted block, which more than doubles the
   * insert cost of haproxy_events. Turned off for inserts; merges and FINAL still collapse.
   */
  optimizeOnInsert: boolean;
  /** ALTER TABLE … MODIFY SETTING (absent in 18.16; 20.1, conservative). */
  alterSettings: boolean;
  /** Compact MergeTree parts and `min_bytes_for_wide_part` (20.3; 20.8, conservative). */
  compactParts: boolean;
}

export const MINIMUM_VERSION = '18.16';

/** Compares dotted versions numerically: "19.11.3" vs "19.6". */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const b = minimum.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

export function featuresFor(version: string): Features {
  if (!versionAtLeast(version, MINIMUM_VERSION)) {
    throw new Error(`ClickHouse ${version} is too old: Breakwater needs ${MINIMUM_VERSION} or newer`);
  }
  return {
    version,
    dateTime64: versionAtLeast(version, '20.1'),
    ttl: versionAtLeast(version, '19.6'),
    codecs: versionAtLeast(version, '19.10'),
    lowCardinalitySetting: !versionAtLeast(version, '19.1'),
    queryParameters: versionAtLeast(version, '19.11'),
    optimizeOnInsert: versionAtLeast(version, '21.1'),
    alterSettings: versionAtLeast(version, '20.1'),
    compactParts: versionAtLeast(version, '20.8'),
  };
}
