import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTable, PackedWriter, unpackEvents } from '../../../src/ship/packed-events.js';

const fields = (key: string) => {
  const [host, backend, server] = key.split('|').map((f) => (f === '-' ? null : f));
  return { host, backend, server };
};

test('packed events unpack to the same keys and values, across chunks, multi-byte text and buffer growth', () => {
  const keys = new KeyTable();
  const received: string[] = [];
  const chunks = [
    [['a|b|c', '{"x":1}'], ['a|b|d', '{"uri":"/é✓😀"}'], ['a|b|c', 'x'.repeat(10_000)]],
    [['a|b|d', '{}'], ['z|-|-', '"\\u2028"']],
  ];
  for (const chunk of chunks) {
    const writer = new PackedWriter(chunk.length, 16);
    for (const [key, value] of chunk) writer.add(keys.idOf(fields(key)), value);
    const { packed, transfer } = writer.finish(keys);
    assert.equal(transfer.length, 3);
    const messages = unpackEvents(structuredClone(packed, { transfer }), received);
    assert.deepEqual(messages.map((m) => [m.key, m.value.toString()]), chunk);
    assert.ok(messages.every((m) => Buffer.isBuffer(m.value)));
  }
  assert.deepEqual(received, ['a|b|c', 'a|b|d', 'z|-|-'], 'each key crossed once');
});

test('a cleared key table makes the receiver start its table again', () => {
  const keys = new KeyTable();
  const received: string[] = [];
  const send = (key: string) => {
    const writer = new PackedWriter(1, 64);
    writer.add(keys.idOf(fields(key)), '1');
    return unpackEvents(writer.finish(keys).packed, received)[0].key;
  };
  assert.equal(send('k|1|x'), 'k|1|x');
  keys.idOf(fields('lost|x|y')); // taken for a reply that was never delivered
  keys.clear();
  assert.equal(send('k|2|x'), 'k|2|x');
  assert.deepEqual(received, ['k|2|x']);
  assert.equal(send('k|1|x'), 'k|1|x');
  assert.deepEqual(received, ['k|2|x', 'k|1|x']);
});

test('a chunk that takes the table past its bound keeps its ids; the next chunk starts the table again', () => {
  const keys = new KeyTable();
  const received: string[] = [];
  const pack = (names: string[]) => {
    const writer = new PackedWriter(names.length, 64);
    for (const name of names) writer.add(keys.idOf(fields(name)), '{}');
    return unpackEvents(writer.finish(keys).packed, received).map((m) => m.key);
  };
  const many = Array.from({ length: 100_005 }, (_, i) => `h|b|s${i}`);
  assert.deepEqual(pack(many), many);
  assert.deepEqual(pack(['h|b|s1', 'h|b|new']), ['h|b|s1', 'h|b|new']);
  assert.deepEqual(received, ['h|b|s1', 'h|b|new'], 'the receiver started its table again');
});
