-- One row per parsed HAProxy log line: every field of the parsed event (src/haproxy/event.ts).
-- ReplacingMergeTree keyed on event_id (inside the sorting key): a line delivered twice
-- collapses to one row on merge; queries read with FINAL, so duplicates never count twice.
-- Ordered for per-backend/server time-range queries; one partition per day; TTL retention.
-- Name-like columns are LowCardinality(String) with '' for "none" (sorting keys cannot be Nullable).
CREATE TABLE IF NOT EXISTS haproxy_events
(
    timestamp {{time_type}}{{#if codecs}} CODEC(Delta, ZSTD(1)){{/if}},
{{#if !dateTime64}}
    timestamp_ms UInt16,
{{/if}}
    event_id String,
    host LowCardinality(String),
    kind LowCardinality(String),
    format LowCardinality(String),
    program LowCardinality(String),
    pid Nullable(UInt32),
    client_ip Nullable(String),
    client_port Nullable(UInt16),
    frontend LowCardinality(String),
    bind LowCardinality(String),
    backend LowCardinality(String),
    server LowCardinality(String),
    status Nullable(Int16),
    bytes_read Nullable(Int64),
    termination_state LowCardinality(String),
    timer_TR Nullable(Int32),
    timer_Tw Nullable(Int32),
    timer_Tc Nullable(Int32),
    timer_Tr Nullable(Int32),
    timer_Ta Nullable(Int32),
    timer_Tt Nullable(Int32),
    timers_extra String,
    retries Nullable(Int32),
    actconn Nullable(Int32),
    feconn Nullable(Int32),
    beconn Nullable(Int32),
    srv_conn Nullable(Int32),
    srv_queue Nullable(Int32),
    backend_queue Nullable(Int32),
    method LowCardinality(String),
    uri Nullable(String){{#if codecs}} CODEC(ZSTD(1)){{/if}},
    http_version LowCardinality(String),
    request Nullable(String){{#if codecs}} CODEC(ZSTD(1)){{/if}},
    captured_request_cookie Nullable(String),
    captured_response_cookie Nullable(String),
    captured_request_headers Array(String),
    captured_response_headers Array(String),
    ssl_version LowCardinality(String),
    ssl_ciphers LowCardinality(String),
    ssl_fc_err Nullable(String),
    ssl_c_err Nullable(String),
    ssl_c_ca_err Nullable(String),
    ssl_sni Nullable(String),
    logasap Array(String),
    conn_failure UInt8,
    termination_cause LowCardinality(String),
    termination_phase LowCardinality(String),
    server_error UInt8,
    health_state LowCardinality(String),
    health_reason Nullable(String),
    health_check LowCardinality(String),
    health_active_servers Nullable(Int32),
    health_backup_servers Nullable(Int32),
    message Nullable(String),
    extra String,
    source Nullable(String),
    raw_offset Nullable(UInt64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(timestamp)
ORDER BY (backend, server, timestamp, event_id)
{{#if ttl}}
TTL toDate(timestamp) + INTERVAL {{ttl_days}} DAY
{{/if}}
;
