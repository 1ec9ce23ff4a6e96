import { open, type FileHandle } from 'node:fs/promises';
import { LineSplitter, type Line } from './lines.js';
import { eventIdPrefix, identify, type FileIdentity } from './identity.js';
import type { FileCheckpoint } from './checkpoint.js';

/** A batch of lines handed to the bus; acknowledged batches advance the checkpoint in order. */
export interface InFlight {
  /** Offset just past the batch's last line. */
  end: number;
  acked: boolean;
}

/**
 * One open log file: reads from `readOffset`, splits lines with their byte offsets, and keeps
 * `ackedOffset`: everything before it was acknowledged by the bus (what the checkpoint holds).
 * The handle stays open across rename and delete, so a rotated file is read to its end.
 */
export class FileTail {
  readonly splitter: LineSplitter;
  idPrefix: string;
  readOffset: number;
  ackedOffset: number;
  /** Last size seen by fstat/stat: bytes behind = size - ackedOffset. */
  size = 0;
  /** When the path stopped naming this file (renamed away, deleted, replaced); null while it does. */
  rotatedAt: number | null = null;
  lastDataAt = Date.now();
  /** No more reads (fully read after rotation, or truncated without a copy to read from). */
  finished = false;
  /** The last read found nothing more: verify the file before reading again. */
  atEof = false;
  /** False when the handle passed on to another tail (the truncated inode's new content). */
  ownsHandle = true;
  private readonly inflight: InFlight[] = [];
  /**
   * A file opened empty gets its identity when its first bytes are read (an empty prefix would
   * give every emptied file the same fileId, hence colliding event ids across copytruncates).
   */
  private identityFixed: boolean;

  constructor(
    public path: string,
    public fh: FileHandle,
    public id: FileIdentity,
    offset: number,
    private readonly host: string,
    private readonly settings: { max_line_bytes: number; fingerprint_bytes: number },
    /** The identity comes from a checkpoint: event ids must stay what they were. */
    resumed = false,
  ) {
    this.readOffset = offset;
    this.ackedOffset = offset;
    this.splitter = new LineSplitter(offset, settings.max_line_bytes);
    this.idPrefix = eventIdPrefix(host, id.fileId);
    this.identityFixed = resumed || offset > 0 || id.fingerprintBytes >= settings.fingerprint_bytes;
  }

  static async open(path: string): Promise<FileHandle> {
    return open(path, 'r');
  }

  /** Complete lines from the next chunk, or null at end of file. `buf` is reused by the caller. */
  async read(buf: Buffer): Promise<{ lines: Line[]; bytes: number } | null> {
    if (this.finished) return null;
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.readOffset);
    this.atEof = bytesRead < buf.length;
    if (bytesRead === 0) return null;
    if (!this.identityFixed) {
      this.identityFixed = true;
      if (this.readOffset === 0) {
        this.id = await identify(this.fh, this.settings.fingerprint_bytes);
        this.idPrefix = eventIdPrefix(this.host, this.id.fileId);
      }
    }
    this.readOffset += bytesRead;
    if (this.readOffset > this.size) this.size = this.readOffset;
    this.lastDataAt = Date.now();
    return { lines: this.splitter.push(buf.subarray(0, bytesRead)), bytes: bytesRead };
  }

  /** The last line of a file that will not grow any more, even without its newline. */
  finish(): Line | null {
    this.finished = true;
    return this.splitter.flush();
  }

  track(end: number): InFlight {
    const entry = { end, acked: false };
    this.inflight.push(entry);
    return entry;
  }

  ack(entry: InFlight): void {
    entry.acked = true;
    while (this.inflight.length && this.inflight[0].acked) this.ackedOffset = this.inflight.shift()!.end;
  }

  get settled(): boolean {
    return this.inflight.length === 0;
  }

  get bytesBehind(): number {
    return Math.max(0, this.size - this.ackedOffset);
  }

  checkpoint(): FileCheckpoint {
    return { ...this.id, path: this.path, offset: this.ackedOffset };
  }

  async close(): Promise<void> {
    if (this.ownsHandle) await this.fh.close().catch(() => undefined);
  }
}
