-- Alert lifecycle rows (src/detect/alert.ts AlertEvent): one per firing / resolved event.
-- The same lifecycle event stored twice collapses (ReplacingMergeTree on alert_id, state, at).
CREATE TABLE IF NOT EXISTS alerts
(
    alert_id String,
    state LowCardinality(String),
    rule LowCardinality(String),
    summary String,
    host LowCardinality(String),
    backend LowCardinality(String),
    server LowCardinality(String),
    fired_at {{time_type}},
    resolved_at Nullable({{time_type}}),
    at {{time_type}},
    observed Float64,
    baseline Float64,
    threshold Float64,
    observed_ratio Float64,
    baseline_ratio Float64,
    requests UInt64,
    first_seen {{time_type}},
    last_seen {{time_type}},
    samples Array(String),
    time_to_recover_ms Nullable(Int64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(fired_at)
ORDER BY (alert_id, state, at)
{{#if ttl}}
TTL toDate(fired_at) + INTERVAL {{rollup_ttl_days}} DAY
{{/if}}
;
