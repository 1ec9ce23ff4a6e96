-- Background merges of haproxy_events use the horizontal algorithm (all columns of a block
-- merged together) instead of the vertical one (the sorting key first, then every other column
-- gathered row by row). With its twenty LowCardinality columns the vertical gathering cost
-- chdb 6.0 CPU µs per stored row in merges, the horizontal merge 3.8 (bench/store-engine.ts,
-- 10 k-row inserts merged to one part); merges hold one 8192-row block of all columns in memory.
-- Before ALTER … MODIFY SETTING (rendered from features.ts) the table keeps the vertical merges.
{{#if alterSettings}}
ALTER TABLE haproxy_events MODIFY SETTING enable_vertical_merge_algorithm = 0;
{{/if}}
