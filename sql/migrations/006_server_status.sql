-- HAProxy runtime API snapshots (src/store/store.ts ServerStatusRow), one row per server per poll.
CREATE TABLE IF NOT EXISTS server_status
(
    at {{time_type}},
    host LowCardinality(String),
    backend LowCardinality(String),
    server LowCardinality(String),
    status LowCardinality(String),
    check_status Nullable(String),
    check_duration_ms Nullable(Float64),
    weight Nullable(Int32),
    current_sessions Nullable(Int64),
    econ_delta Nullable(Int64),
    eresp_delta Nullable(Int64),
    downtime_s Nullable(Int64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (backend, server, host, at)
{{#if ttl}}
TTL toDate(at) + INTERVAL {{rollup_ttl_days}} DAY
{{/if}}
;
