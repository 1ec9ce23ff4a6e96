-- description: Status codes per frontend and backend in a window: who produced them (the server, or HAProxy itself) and how many were connection failures.
-- param: from DateTime('UTC') = now-1h | start of the window (inclusive)
-- param: to DateTime('UTC') = now | end of the window (exclusive)
-- param: frontend String = '' | only this frontend ('' = all)
SELECT
    frontend,
    backend,
    status,
    count() AS requests,
    countIf(server_error = 1) AS from_server,
    countIf(status >= 500 AND server_error = 0) AS from_haproxy,
    countIf(conn_failure = 1) AS conn_failures
FROM haproxy_events FINAL
WHERE timestamp >= {from:DateTime('UTC')} AND timestamp < {to:DateTime('UTC')}
  AND kind = 'http'
  AND ({frontend:String} = '' OR frontend = {frontend:String})
GROUP BY frontend, backend, status
ORDER BY frontend, backend, status
