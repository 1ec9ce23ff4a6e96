import { z } from 'zod';

/** The `sources` section of a pipeline file: which HAProxy logs `ship` tails and how. */
export const SourcesSchema = z
  .object({
    files: z
      .array(z.string().min(1))
      .default(['/var/log/haproxy.log'])
      .describe('Log files to tail: paths or globs (`*`, `?`, `[…]` in any path segment). Files matching a glob later are picked up.'),
    start_at: z
      .enum(['end', 'beginning'])
      .default('end')
      .describe('Where to start in a file that has no checkpoint on the first run: its end (only new lines) or its beginning. Files created while the shipper runs or was stopped are always read from the beginning.'),
    checkpoint_file: z
      .string()
      .min(1)
      .default('.breakwater/ship-checkpoint.json')
      .describe('Byte offsets acknowledged by the bus, per file identity (written atomically). Relative paths are relative to the working directory.'),
    checkpoint_interval_ms: z.number().int().min(50).default(1000).describe('How often acknowledged offsets are written to the checkpoint file (and at shutdown).'),
    host: z
      .string()
      .min(1)
      .optional()
      .describe('Name of this machine in event ids and rejects. Absent: the hostname.'),
    poll_interval_ms: z
      .number()
      .int()
      .min(10)
      .default(250)
      .describe('Longest wait before looking at the files again when no change notification arrives (fs.watch is used too).'),
    rescan_interval_ms: z.number().int().min(50).default(1000).describe('How often globs are expanded again and files checked for rotation and truncation.'),
    rotate_wait_ms: z
      .number()
      .int()
      .min(0)
      .default(5000)
      .describe('A rotated or deleted file is kept open and read until it has been quiet this long (writers may still append right after a rotation).'),
    fingerprint_bytes: z
      .number()
      .int()
      .min(16)
      .max(65536)
      .default(1024)
      .describe('Bytes at the start of a file fingerprinted for its identity (with device and inode).'),
    read_chunk_bytes: z
      .number()
      .int()
      .min(4096)
      .max(64 * 1024 * 1024)
      .default(256 * 1024)
      .describe('Bytes read from a file at a time; their events are encoded together into one buffer (about 5 times the chunk) and published at once.'),
    max_line_bytes: z
      .number()
      .int()
      .min(256)
      .default(64 * 1024)
      .describe('Longer lines are cut there and sent to haproxy.rejects (memory stays bounded).'),
    max_inflight_bytes: z
      .number()
      .int()
      .min(65536)
      .default(32 * 1024 * 1024)
      .describe('Log bytes read but not yet acknowledged by the bus; reading pauses above it (backpressure when the bus is slow or down).'),
    reject_raw_max_bytes: z.number().int().min(64).default(4096).describe('Raw line kept in a reject record, in bytes (longer ones are cut).'),
    encode_thread: z
      .boolean()
      .default(false)
      .describe('Parse and encode lines on a worker thread (ship and run), leaving the main thread to read files and talk to the bus (uses a second core; see the shipping benchmark).'),
  })
  .strict();

export type SourcesConfig = z.infer<typeof SourcesSchema>;
