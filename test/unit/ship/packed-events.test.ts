import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTable, PackedWriter, unpackEvents } from '../../../src/ship/packed-events.js';

test('packed events unpack to the same keys and values, across chunks, multi-byte text and buffer growth', () => {
  const keys = new KeyTable();
  const received: string[] = [];
  const chunks = [
    [['a|b|c', '{"x":1}'], ['a|b|d', '{"uri":"/é✓😀"}'], ['a|b|c', 'x'.repeat(10_000)]],
    [['a|b|d', '{}'], ['z|z|z', '"\\u2028"']],
  ];
  for (const chunk of chunks) {
    const writer = new PackedWriter(chunk.length, 16);
    for (const [key, value] of chunk) writer.add(keys.id(key), value);
    const { packed, transfer } = writer.finish(keys);
    assert.equal(transfer.length, 3);
    const messages = unpackEvents(structuredClone(packed, { transfer }), received);
    assert.deepEqual(messages.map((m) => [m.key, m.value.toString()]), chunk);
    assert.ok(messages.every((m) => Buffer.isBuffer(m.value)));
  }
  assert.deepEqual(received, ['a|b|c', 'a|b|d', 'z|z|z'], 'each key crossed once');
});

test('a cleared key table makes the receiver start its table again', () => {
  const keys = new KeyTable();
  const received: string[] = [];
  const send = (key: string) => {
    const writer = new PackedWriter(1, 64);
    writer.add(keys.id(key), '1');
    return unpackEvents(writer.finish(keys).packed, received)[0].key;
  };
  assert.equal(send('k1'), 'k1');
  keys.id('lost'); // handed out for a chunk that failed
  keys.clear();
  assert.equal(send('k2'), 'k2');
  assert.deepEqual(received, ['k2']);
  assert.equal(send('k1'), 'k1');
  assert.deepEqual(received, ['k2', 'k1']);
});
