-- Diagnostic and repair hook runs (src/store/store.ts HookRunRow), with their captured output.
CREATE TABLE IF NOT EXISTS hook_runs
(
    run_id String,
    alert_id Nullable(String),
    phase LowCardinality(String),
    hook LowCardinality(String),
    type LowCardinality(String),
    target String,
    started_at {{time_type}},
    finished_at {{time_type}},
    duration_ms Float64,
    status LowCardinality(String),
    exit_code Nullable(Int32),
    reason Nullable(String),
    output String{{#if codecs}} CODEC(ZSTD(3)){{/if}},
    dry_run UInt8
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (run_id)
{{#if ttl}}
TTL toDate(started_at) + INTERVAL {{rollup_ttl_days}} DAY
{{/if}}
;
