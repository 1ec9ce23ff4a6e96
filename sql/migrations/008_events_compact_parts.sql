-- Parts of haproxy_events stay in the compact format (all columns in one file) up to 256 MB of
-- uncompressed data (about 750 k rows) instead of ClickHouse's 10 MB: a 50 k-row insert
-- (17.7 MB uncompressed) then writes one data file instead of a pair of files per stream of 59 columns
-- (nullable maps and LowCardinality dictionaries are streams of their own). chdb's insert CPU
-- went from 2.4-2.5 to 1.3-1.4 µs per row (bench/store-engine.ts, 1 M rows in 50 k-row blocks);
-- merges did not cost more. Parts merged past 256 MB become wide, the format for long scans.
-- Before compact parts (20.3; 20.8 here, conservative) every part is wide.
{{#if compactParts}}
ALTER TABLE haproxy_events MODIFY SETTING min_bytes_for_wide_part = 268435456;
{{/if}}
