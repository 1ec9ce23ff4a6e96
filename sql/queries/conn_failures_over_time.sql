-- description: Connection failures per backend/server over time, beside 5xx and 4xx responses (1-minute rollup).
-- param: from DateTime('UTC') = now-24h | start of the window (inclusive)
-- param: to DateTime('UTC') = now | end of the window (exclusive)
-- param: bucket_minutes UInt32 = 5 | width of a time bucket in minutes
-- param: backend String = '' | only this backend ('' = all)
SELECT
    toDateTime(intDiv(toUInt32(minute), {bucket_minutes:UInt32} * 60) * ({bucket_minutes:UInt32} * 60), 'UTC') AS bucket,
    backend,
    server,
    sum(n) AS requests,
    sumIf(n, conn_failure = 1) AS conn_failures,
    sumIf(n, status_class = '5xx') AS http_5xx,
    sumIf(n, status_class = '4xx') AS http_4xx
FROM
(
    SELECT minute, backend, server, status_class, conn_failure, uniqExactMerge(events) AS n
    FROM haproxy_rollup_1m
    WHERE minute >= {from:DateTime('UTC')} AND minute < {to:DateTime('UTC')}
      AND ({backend:String} = '' OR backend = {backend:String})
    GROUP BY minute, backend, server, status_class, conn_failure
)
GROUP BY bucket, backend, server
ORDER BY bucket, backend, server
