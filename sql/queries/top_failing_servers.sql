-- description: Servers with the most connection failures in a period, with 5xx, retries and failure ratio (1-minute rollup).
-- param: from DateTime('UTC') = now-24h | start of the period (inclusive)
-- param: to DateTime('UTC') = now | end of the period (exclusive)
-- param: limit UInt32 = 10 | how many servers
SELECT
    backend,
    server,
    sum(n) AS requests,
    sumIf(n, conn_failure = 1) AS conn_failures,
    round(conn_failures / requests, 4) AS failure_ratio,
    sumIf(n, status_class = '5xx') AS http_5xx,
    sumIf(n, retried = 1) AS retried_requests,
    max(tc) AS max_Tc
FROM
(
    SELECT backend, server, status_class, conn_failure, retried, uniqExactMerge(events) AS n, maxMerge(max_Tc) AS tc
    FROM haproxy_rollup_1m
    WHERE minute >= {from:DateTime('UTC')} AND minute < {to:DateTime('UTC')}
    GROUP BY backend, server, status_class, conn_failure, retried
)
GROUP BY backend, server
HAVING conn_failures > 0 OR http_5xx > 0
ORDER BY conn_failures DESC, http_5xx DESC, backend, server
LIMIT {limit:UInt32}
