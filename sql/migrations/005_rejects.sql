-- Lines that did not parse (src/store/store.ts RejectRow), kept for inspection.
-- reject_id hashes host, source, offset and the raw line: a re-read line collapses.
CREATE TABLE IF NOT EXISTS rejects
(
    reject_id String,
    received_at {{time_type}},
    host LowCardinality(String),
    source Nullable(String),
    raw_offset Nullable(UInt64),
    reason LowCardinality(String),
    raw String{{#if codecs}} CODEC(ZSTD(1)){{/if}}
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(received_at)
ORDER BY (reject_id)
{{#if ttl}}
TTL toDate(received_at) + INTERVAL {{ttl_days}} DAY
{{/if}}
;
