import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/**
 * Who a file is, independent of its name: device + inode + a fingerprint of its first bytes. The
 * fingerprint catches inode reuse (a rotated file deleted and its inode handed to a new file) and
 * copytruncate (same inode, new content).
 */
export interface FileIdentity {
  dev: number;
  ino: number;
  /** sha256 (hex, first 16 bytes) of the first `fingerprintBytes` bytes. */
  fingerprint: string;
  /** How many bytes the fingerprint covers: fewer than asked when the file was that short. */
  fingerprintBytes: number;
  /**
   * The name event ids derive from, fixed when the file is first seen: `dev:ino:fingerprint`.
   * A fingerprint computed later over more bytes does not change it.
   */
  fileId: string;
}

export function fingerprintOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

async function readPrefix(fh: FileHandle, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

export async function identify(fh: FileHandle, fingerprintBytes: number): Promise<FileIdentity> {
  const st = await fh.stat();
  const prefix = await readPrefix(fh, Math.min(fingerprintBytes, st.size));
  const fingerprint = fingerprintOf(prefix);
  return { dev: st.dev, ino: st.ino, fingerprint, fingerprintBytes: prefix.length, fileId: `${st.dev}:${st.ino}:${fingerprint}` };
}

/** True when the open file still starts with the bytes the identity was taken from. */
export async function samePrefix(fh: FileHandle, id: Pick<FileIdentity, 'fingerprint' | 'fingerprintBytes'>): Promise<boolean> {
  const prefix = await readPrefix(fh, id.fingerprintBytes);
  return prefix.length === id.fingerprintBytes && fingerprintOf(prefix) === id.fingerprint;
}

/**
 * Event ids: `sha256(host + "\0" + fileId)` (first 8 bytes, hex) followed by the line's byte offset
 * as 16 hex digits: 32 hex characters (16 bytes), the same every time the line is read again, and
 * never equal for two lines of one file. The per-file half is computed once per file.
 */
export function eventIdPrefix(host: string, fileId: string): string {
  return createHash('sha256').update(host).update('\0').update(fileId).digest('hex').slice(0, 16);
}

export function eventId(prefix: string, offset: number): string {
  return prefix + offset.toString(16).padStart(16, '0');
}
