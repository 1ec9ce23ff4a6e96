import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** `-` names standard input. */
export const STDIN = '-';

const READ_SIZE = 1024 * 1024;

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The bytes of one input (a file, or stdin for `-`), decompressed when they start with the
 * gzip magic (whatever the file is called). Large reads; errors (missing file, permission,
 * corrupt gzip) surface as a rejection of the iteration, after the chunks read so far.
 */
export async function* inputChunks(path: string): AsyncGenerator<Buffer> {
  const raw: Readable = path === STDIN ? process.stdin : createReadStream(path, { highWaterMark: READ_SIZE });
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    const first = await it.next();
    if (first.done) return;
    if (!isGzip(first.value)) {
      yield first.value;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
      return;
    }
    const compressed = Readable.from((async function* () {
      yield first.value;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
    })());
    const gunzip = pipeline(compressed, createGunzip({ chunkSize: 256 * 1024 }), () => {});
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    if (path !== STDIN) raw.destroy();
  }
}
