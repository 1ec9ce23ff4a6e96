-- description: The request mix (methods and paths) hitting one server in a window, with its failures per path.
-- param: backend String | the backend
-- param: server String | the server
-- param: from DateTime('UTC') = now-1h | start of the window (inclusive)
-- param: to DateTime('UTC') = now | end of the window (exclusive)
-- param: limit UInt32 = 20 | how many method/path rows
SELECT
    method,
    path,
    count() AS requests,
    countIf(conn_failure = 1) AS conn_failures,
    countIf(status >= 500) AS http_5xx,
    countIf(status >= 400 AND status < 500) AS http_4xx
FROM
(
    SELECT
        method,
        if(substring(ifNull(uri, ''), 1, 1) = '/', splitByChar('?', ifNull(uri, ''))[1], path(ifNull(uri, ''))) AS path,
        conn_failure,
        status
    FROM haproxy_events FINAL
    WHERE backend = {backend:String} AND server = {server:String}
      AND timestamp >= {from:DateTime('UTC')} AND timestamp < {to:DateTime('UTC')}
)
GROUP BY method, path
ORDER BY requests DESC, method, path
LIMIT {limit:UInt32}
