-- description: One row per alert (fired_at, resolved_at, latest state, peak observed value); what `breakwater alerts` shows.
-- param: since DateTime('UTC') = 1970-01-01 00:00:00 | alerts that fired at or after this time
SELECT
    alert_id,
    last_state AS state,
    a_rule AS rule,
    nullIf(a_host, '') AS host,
    nullIf(a_backend, '') AS backend,
    nullIf(a_server, '') AS server,
    first_fired AS fired_at,
    recovered AS resolved_at,
    peak AS peak_observed,
    a_baseline AS baseline,
    a_threshold AS threshold,
    last_summary AS summary
FROM
(
    SELECT
        alert_id,
        argMax(state, at) AS last_state,
        any(rule) AS a_rule,
        any(host) AS a_host,
        any(backend) AS a_backend,
        any(server) AS a_server,
        min(fired_at) AS first_fired,
        if(countIf(state = 'resolved') > 0, maxIf(at, state = 'resolved'), NULL) AS recovered,
        max(observed) AS peak,
        argMin(baseline, at) AS a_baseline,
        argMin(threshold, at) AS a_threshold,
        argMax(summary, at) AS last_summary
    FROM alerts FINAL
    GROUP BY alert_id
)
WHERE first_fired >= {since:DateTime('UTC')}
ORDER BY first_fired, alert_id
