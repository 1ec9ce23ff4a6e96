-- description: Termination-state breakdown of the alert's server before, during and after an alert (1-minute rollup).
-- param: alert_id String | the alert (see `breakwater alerts`)
-- param: before_minutes UInt32 = 15 | minutes before it fired
-- param: after_minutes UInt32 = 15 | minutes after it resolved (after now while still firing)
SELECT
    phase,
    termination_state,
    sum(n) AS requests,
    sumIf(n, conn_failure = 1) AS conn_failures
FROM
(
    WITH
        (SELECT any(host) FROM alerts WHERE alert_id = {alert_id:String}) AS a_host,
        (SELECT any(backend) FROM alerts WHERE alert_id = {alert_id:String}) AS a_backend,
        (SELECT any(server) FROM alerts WHERE alert_id = {alert_id:String}) AS a_server,
        (SELECT toStartOfMinute(toDateTime(min(fired_at), 'UTC')) FROM alerts WHERE alert_id = {alert_id:String}) AS fired,
        (SELECT if(countIf(state = 'resolved') > 0, toDateTime(maxIf(at, state = 'resolved'), 'UTC'), toDateTime(now(), 'UTC'))
         FROM alerts WHERE alert_id = {alert_id:String}) AS ended
    SELECT
        multiIf(minute < fired, 'before', minute <= ended, 'during', 'after') AS phase,
        termination_state,
        conn_failure,
        uniqExactMerge(events) AS n
    FROM haproxy_rollup_1m
    WHERE a_backend != ''
      AND backend = a_backend
      AND (a_server = '' OR server = a_server)
      AND (a_host = '' OR host = a_host)
      AND minute >= fired - {before_minutes:UInt32} * 60
      AND minute <= ended + {after_minutes:UInt32} * 60
    GROUP BY phase, termination_state, conn_failure
)
GROUP BY phase, termination_state
ORDER BY indexOf(['before', 'during', 'after'], phase), requests DESC, termination_state
