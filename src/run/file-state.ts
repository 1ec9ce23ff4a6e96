import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PartitionState, StateStore } from '../process/state.js';
import { log } from '../observe/log.js';

interface StateFile {
  version: 1;
  saved_at: string;
  /** Series checkpoints by partition, then by series key. */
  partitions: Record<string, Record<string, string>>;
}

/**
 * Detector state of embedded mode, kept in one JSON file beside the store so baselines survive
 * a restart of `breakwater run`. Saves land in memory at once and reach the file at most every
 * `intervalMs` and at flush() (shutdown), written atomically (temp file + rename).
 *
 * Offsets are not restored: the in-process bus starts again at offset 0 after a restart, and
 * the shipper's file checkpoint is what says where reading resumes.
 */
export class FileStateStore implements StateStore {
  private partitions = new Map<number, Map<string, string>>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly path: string,
    private readonly intervalMs: number,
  ) {}

  static async open(path: string, intervalMs = 2000): Promise<FileStateStore> {
    const store = new FileStateStore(path, intervalMs);
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      try {
        const doc = JSON.parse(text) as StateFile;
        for (const [p, series] of Object.entries(doc.partitions)) store.partitions.set(Number(p), new Map(Object.entries(series)));
      } catch (err) {
        log.warn({ path, err: (err as Error).message }, 'detector state file unreadable; baselines start over');
      }
    }
    return store;
  }

  async load(partitions: number[]): Promise<Map<number, PartitionState>> {
    const out = new Map<number, PartitionState>();
    for (const p of partitions) out.set(p, { offset: null, series: [...(this.partitions.get(p)?.values() ?? [])] });
    return out;
  }

  async save(partition: number, _offset: string, series: Array<{ key: string; doc: string }>): Promise<void> {
    if (series.length === 0) return;
    let map = this.partitions.get(partition);
    if (!map) this.partitions.set(partition, (map = new Map()));
    for (const { key, doc } of series) map.set(key, doc);
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush().catch((err: Error) => log.error({ err: err.message, path: this.path }, 'cannot write the detector state file'));
    }, this.intervalMs);
  }

  /** Writes pending state now (and waits for a write in progress). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const doc: StateFile = { version: 1, saved_at: new Date().toISOString(), partitions: {} };
      for (const [p, series] of this.partitions) doc.partitions[p] = Object.fromEntries(series);
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      const fh = await open(tmp, 'w', 0o644);
      try {
        await fh.writeFile(JSON.stringify(doc));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    });
    return this.writing;
  }
}
