-- 1-minute rollup per host, frontend, backend, server, status class and termination state
-- (plus the conn_failure / server_error / retried flags), kept current by a materialized view.
-- Counts are uniqExact states of event_id, not sums: a materialized view sees every inserted
-- block, so an event delivered twice reaches the rollup twice; a set of event ids absorbs the
-- duplicate, a sum would not. Read with uniqExactMerge(events). max() is duplicate-proof too.
-- (Before 19.1 a view cannot write computed strings into LowCardinality: plain String there.)
CREATE TABLE IF NOT EXISTS haproxy_rollup_1m
(
    minute DateTime('UTC'),
    host LowCardinality(String),
    frontend LowCardinality(String),
    backend LowCardinality(String),
    server LowCardinality(String),
    status_class {{derived_name_type}},
    termination_state LowCardinality(String),
    conn_failure UInt8,
    server_error UInt8,
    retried UInt8,
    events AggregateFunction(uniqExact, String),
    max_Tc AggregateFunction(max, Int32),
    max_Ta AggregateFunction(max, Int32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (backend, server, minute, host, frontend, status_class, termination_state, conn_failure, server_error, retried)
{{#if ttl}}
TTL minute + INTERVAL {{rollup_ttl_days}} DAY
{{/if}}
;

CREATE MATERIALIZED VIEW IF NOT EXISTS haproxy_rollup_1m_mv TO haproxy_rollup_1m AS
SELECT
    toStartOfMinute(timestamp) AS minute,
    host,
    frontend,
    backend,
    server,
    multiIf(isNull(status), 'none', ifNull(status, 0) >= 500, '5xx', ifNull(status, 0) >= 400, '4xx', ifNull(status, 0) >= 300, '3xx', ifNull(status, 0) >= 200, '2xx', 'other') AS status_class,
    substring(termination_state, 1, 2) AS termination_state,
    conn_failure,
    server_error,
    toUInt8(ifNull(retries, 0) > 0) AS retried,
    uniqExactState(event_id) AS events,
    maxState(ifNull(timer_Tc, -1)) AS max_Tc,
    maxState(ifNull(timer_Ta, ifNull(timer_Tt, -1))) AS max_Ta
FROM haproxy_events
WHERE kind IN ('http', 'tcp', 'custom')
GROUP BY minute, host, frontend, backend, server, status_class, termination_state, conn_failure, server_error, retried
;
