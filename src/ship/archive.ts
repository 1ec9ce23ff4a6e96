import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { identify, type FileIdentity } from './identity.js';

export interface ArchiveReader {
  identity: FileIdentity;
  /** Size of the file on disk (compressed size for .gz). */
  size: number;
  /** Bytes of the file consumed so far (compressed bytes for .gz): progress, percent, ETA. */
  consumed(): number;
  /** Uncompressed content, chunk by chunk. */
  chunks: AsyncIterable<Buffer>;
}

/**
 * Reads an archived log start to end, gunzipping when it starts with the gzip magic (whatever its
 * name), and counts the on-disk bytes consumed so progress is exact for compressed files too.
 */
export async function openArchive(path: string, fingerprintBytes: number): Promise<ArchiveReader> {
  const fh = await open(path, 'r');
  let identity: FileIdentity;
  let size: number;
  let gzip: boolean;
  try {
    identity = await identify(fh, fingerprintBytes);
    size = (await fh.stat()).size;
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    gzip = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
  let consumed = 0;
  const raw = createReadStream(path, { highWaterMark: 1024 * 1024 });
  raw.on('data', (chunk) => (consumed += chunk.length));
  const stream = gzip ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw;
  if (gzip) raw.on('error', (err) => stream.destroy(err));
  return { identity, size, consumed: () => consumed, chunks: stream as AsyncIterable<Buffer> };
}
