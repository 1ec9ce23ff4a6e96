-- description: Everything recorded about one incident, in time order: alert firing and recovery, diagnostics and repair hook runs, and the server's status changes around it.
-- param: alert_id String | the alert (see `breakwater alerts`)
-- param: margin_minutes UInt32 = 15 | server status rows this long before firing and after recovery
SELECT at, what, name, status, detail
FROM
(
    SELECT at, 'alert' AS what, CAST(rule AS String) AS name, CAST(state AS String) AS status, summary AS detail
    FROM alerts FINAL
    WHERE alert_id = {alert_id:String}

    UNION ALL

    SELECT started_at AS at, concat('hook:', CAST(phase AS String)) AS what, concat(CAST(hook AS String), ' ', target) AS name,
        CAST(status AS String) AS status,
        concat(if(isNull(reason), '', concat(assumeNotNull(reason), ': ')), substring(output, 1, 300)) AS detail
    FROM hook_runs FINAL
    WHERE alert_id = {alert_id:String}

    UNION ALL

    SELECT at, 'server_status' AS what, concat(CAST(backend AS String), '/', CAST(server AS String)) AS name,
        CAST(status AS String) AS status, ifNull(check_status, '') AS detail
    FROM server_status FINAL
    WHERE (backend, server) IN (SELECT backend, server FROM alerts WHERE alert_id = {alert_id:String})
      AND at >= (SELECT min(fired_at) FROM alerts WHERE alert_id = {alert_id:String}) - {margin_minutes:UInt32} * 60
      AND at <= (SELECT if(countIf(state = 'resolved') > 0, maxIf(at, state = 'resolved'), max(at)) FROM alerts WHERE alert_id = {alert_id:String}) + {margin_minutes:UInt32} * 60
)
ORDER BY at, what
