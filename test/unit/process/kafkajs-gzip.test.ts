import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import kafkajs from 'kafkajs';
import { inflateChunkSize, useSizedGzipInflate } from '../../../src/bus/kafkajs-gzip.js';

/** JSON-like bytes that compress about as well as event batches do. */
function events(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify({ timestamp: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, server: `s${i % 17}`, bytes: i * 7 })).join(''));
}

function codec(): { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> } {
  useSizedGzipInflate();
  return kafkajs.CompressionCodecs[kafkajs.CompressionTypes.GZIP]();
}

test('inflate chunk: the gzip trailer size plus one, within 16 KiB..4 MiB; 16 KiB for anything that is not gzip', () => {
  const plain = events(2000);
  assert.equal(inflateChunkSize(gzipSync(plain)), plain.length + 1);
  assert.equal(inflateChunkSize(gzipSync(Buffer.from('tiny'))), 16 * 1024);
  assert.equal(inflateChunkSize(gzipSync(Buffer.alloc(6 * 1024 * 1024, 'a'))), 4 * 1024 * 1024);
  assert.equal(inflateChunkSize(deflateSync(plain)), 16 * 1024);
  assert.equal(inflateChunkSize(Buffer.from([0x1f, 0x8b])), 16 * 1024);
});

test('the codec kafkajs uses inflates exactly what kafkajs-style gzip produced, whatever the sizes', async () => {
  const gz = codec();
  for (const plain of [Buffer.alloc(0), Buffer.from('x'), events(10), events(3000), Buffer.alloc(5 * 1024 * 1024, 'b')]) {
    const compressed = await gz.compress({ buffer: plain });
    assert.deepEqual(gzipSync(plain), compressed, 'compression is zlib gzip with defaults, as kafkajs does');
    assert.ok((await gz.decompress(compressed)).equals(plain));
  }
  // Two gzip members back to back: the trailer speaks for the last one only (more chunks, same bytes).
  const first = events(3000);
  const last = Buffer.from('end');
  assert.ok((await gz.decompress(Buffer.concat([gzipSync(first), gzipSync(last)]))).equals(Buffer.concat([first, last])));
  // zlib-wrapped deflate, which kafkajs' unzip accepts too.
  assert.ok((await gz.decompress(deflateSync(first))).equals(first));
  await assert.rejects(gz.decompress(Buffer.from('not compressed at all')));
});
