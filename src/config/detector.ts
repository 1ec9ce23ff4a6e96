import { z } from 'zod';

/** Event fields a detector series can be keyed by. */
export const KEY_FIELDS = ['host', 'backend', 'server'] as const;
export type KeyField = (typeof KEY_FIELDS)[number];

const seconds = (def: number, what: string) => z.number().positive().default(def).describe(what);

/**
 * The `detector` section of a pipeline file: windows, baseline learning and the above-normal
 * rule. The math is explained in src/detect/series.ts and in the README ("Detection").
 */
export const DetectorSchema = z
  .object({
    key: z
      .array(z.enum(KEY_FIELDS))
      .min(1)
      .default(['host', 'backend', 'server'])
      .describe('Event fields one series is keyed by (fields left out are aggregated over).'),
    window_s: z
      .number()
      .int()
      .min(2)
      .max(60)
      .default(10)
      .describe('Sliding evaluation window in seconds (made of 1 s buckets).'),
    allowed_lateness_s: z
      .number()
      .int()
      .min(0)
      .max(60)
      .default(5)
      .describe('Watermark lag: buckets older than (latest event time - this) are final and feed the baseline; older events are counted as late (and still stored).'),
    failure_signal: z
      .enum(['conn_failures', 'conn_failures_or_5xx'])
      .default('conn_failures')
      .describe('What counts as a failure for the above-normal rule: connection failures only, or also any 5xx status.'),
    baseline: z
      .object({
        half_life_s: seconds(1800, 'Half-life of the exponentially weighted failure ratio (event-time seconds).'),
        prior_ratio: z
          .number()
          .min(0)
          .max(1)
          .default(0.01)
          .describe('Failure ratio assumed before anything is learnt (the warm-up prior).'),
        prior_requests: z
          .number()
          .positive()
          .default(2000)
          .describe('Weight of the prior, in requests: the learnt ratio takes over once a series has seen several times this many requests.'),
        min_ratio_floor: z
          .number()
          .min(0)
          .max(1)
          .default(0.001)
          .describe('Robust guard: the baseline ratio used for significance is never below this, so a series that never failed does not page on noise.'),
        max_dispersion: z
          .number()
          .min(1)
          .default(50)
          .describe('Upper bound of the learnt over-dispersion (variance / binomial variance).'),
        warmup_s: seconds(60, 'Event-time seconds a series must be observed before the relative (non-hard) rule may fire.'),
        time_of_day: z
          .boolean()
          .default(true)
          .describe('Learn an hour-of-day failure ratio too and use it when it is higher than the overall one (needs tod_min_days of history).'),
        tod_min_days: z.number().positive().default(2).describe('Days of history before the hour-of-day baseline is used.'),
        tod_day_decay: z
          .number()
          .gt(0)
          .max(1)
          .default(0.5)
          .describe('Each hour-of-day slot keeps this share of its history when the same hour comes round again (per-day EWMA).'),
      })
      .strict()
      .prefault({})
      .describe('How the normal failure ratio and its variability are learnt per series.'),
    rule: z
      .object({
        z: z.number().positive().default(4).describe('Failures must exceed the baseline expectation by this many standard deviations.'),
        min_failures: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe('Minimum failures in the window before the relative rule may fire.'),
        min_ratio: z
          .number()
          .min(0)
          .max(1)
          .default(0.02)
          .describe('Minimum failure ratio in the window before the relative rule may fire.'),
        ratio_factor: z
          .number()
          .min(1)
          .default(1.5)
          .describe('The window ratio must also be at least this multiple of the baseline ratio (a surge at an unchanged ratio never fires).'),
        sustain_s: z
          .number()
          .min(0)
          .default(2)
          .describe('The relative rule must hold this long (event time) before firing; short reload-like bursts do not page.'),
        total_failure_ratio: z
          .number()
          .gt(0)
          .max(1)
          .default(0.95)
          .describe('Hard rule: this failure ratio over the last fast_window_s fires at once …'),
        total_failure_min_requests: z
          .number()
          .int()
          .min(1)
          .default(20)
          .describe('… when at least this many requests were seen in that span (meaningful volume).'),
        fast_window_s: z
          .number()
          .int()
          .min(1)
          .max(10)
          .default(2)
          .describe('Span in seconds of the hard total-failure rule (the latest buckets).'),
        fire_on_health_down: z
          .boolean()
          .default(true)
          .describe('Fire at once when HAProxy logs the server DOWN, or that a backend has no server available.'),
        reload_grace_s: z
          .number()
          .min(0)
          .default(5)
          .describe('After a "Proxy … started" line of a host (a reload), the relative rule is held for this long on that host.'),
      })
      .strict()
      .prefault({})
      .describe('When a series is above normal.'),
    resolve_after_s: seconds(30, 'A firing series resolves after staying near its baseline this long (hysteresis).'),
    cooldown_s: z
      .number()
      .min(0)
      .default(60)
      .describe('After a resolve the same series does not fire again for this long (anti-flapping).'),
    idle_advance_after_s: z
      .number()
      .min(0)
      .default(10)
      .describe('Processor: when a partition has received no event for this long (wall clock), its event time follows the wall clock so open alerts can resolve; 0 turns this off.'),
    samples: z.number().int().min(0).max(20).default(3).describe('Recent failing lines kept per series and attached to alerts.'),
    state_save_interval_s: seconds(
      5,
      'Processor on Kafka: every this many seconds (and on revocation and shutdown) a partition waits for its events to be stored, saves the series that changed and commits its offsets; a restart replays at most this much into the detector.',
    ),
    max_unstored_events: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe('Processor on Kafka: events of one partition consumed but not yet stored before consumption waits for the store (bounds memory while inserts lag).'),
    fetch_max_bytes_per_partition: z
      .number()
      .int()
      .min(1024)
      .default(2 ** 20)
      .describe('Processor on Kafka: most bytes fetched per partition per request, compressed (the largest batch the detector gets at once; 1 MiB of gzip is about 30 k events).'),
    partitions_consumed_concurrently: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Processor on Kafka: partitions whose batches are processed at the same time (each partition stays in order; the store writes are pipelined either way).'),
  })
  .strict();

export type DetectorConfig = z.infer<typeof DetectorSchema>;

/** The defaults, for library callers that have no pipeline file. */
export function detectorConfig(partial: unknown = {}): DetectorConfig {
  return DetectorSchema.parse(partial);
}
