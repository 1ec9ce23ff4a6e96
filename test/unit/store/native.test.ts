import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnCodec, NativeEncoder } from '../../../src/store/native.js';

const hex = (b: Buffer) => b.toString('hex');
const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]).toString('hex');

test('a block: column and row counts, then per column name, type and values', () => {
  const enc = new NativeEncoder([
    { name: 'host', type: 'LowCardinality(String)' },
    { name: 'status', type: 'Nullable(Int16)' },
    { name: 'h', type: 'Array(String)' },
    { name: 'ts', type: "DateTime64(3, 'UTC')" },
  ]);
  const block = enc.encode([
    ['lb1', 503, ['a', 'é'], '1970-01-01 00:00:01.234'],
    [null, null, [], '1970-01-01 00:00:00.000'],
  ]);
  const expected = [
    '04', '02',
    // LowCardinality: key version 1; index width UInt8 | has-additional-keys; 2 keys; 2 indexes.
    str('host'), str('LowCardinality(String)'), '0100000000000000', '0002000000000000', '0200000000000000', str('lb1'), str(''), '0200000000000000', '00', '01',
    str('status'), str('Nullable(Int16)'), '0001', 'f701', '0000',
    str('h'), str('Array(String)'), '0200000000000000', '0200000000000000', str('a'), str('é'),
    str('ts'), str("DateTime64(3, 'UTC')"), 'd204000000000000', '0000000000000000',
  ].join('');
  assert.equal(hex(block), expected);
});

test('integers wrap like a C cast, NaN and infinities are NULL, Float64 keeps them; 64-bit negatives', () => {
  const enc = new NativeEncoder([
    { name: 'p', type: 'UInt16' },
    { name: 'n', type: 'Nullable(Int32)' },
    { name: 'f', type: 'Float64' },
    { name: 'i', type: 'Int64' },
    { name: 'd', type: "DateTime('UTC')" },
  ]);
  const block = enc.encode([[65537, Number.NaN, Number.NaN, -2, '1970-01-01 00:01:00'], [true, Infinity, 1.5, 2 ** 40, '1970-01-01 00:00:00']]);
  const f = Buffer.alloc(16);
  f.writeDoubleLE(Number.NaN, 0);
  f.writeDoubleLE(1.5, 8);
  const expected = [
    '05', '02',
    str('p'), str('UInt16'), '0100', '0100',
    str('n'), str('Nullable(Int32)'), '0101', '00000000', '00000000',
    str('f'), str('Float64'), f.toString('hex'),
    str('i'), str('Int64'), 'feffffffffffffff', '0000000000010000',
    str('d'), str("DateTime('UTC')"), '3c000000', '00000000',
  ].join('');
  assert.equal(hex(block), expected);
});

test('LowCardinality indexes widen to UInt16 past 256 distinct values', () => {
  const values = Array.from({ length: 300 }, (_, i) => [`s${i % 257}`]);
  const block = new NativeEncoder([{ name: 'c', type: 'LowCardinality(String)' }]).encode(values);
  const head = [str('c'), str('LowCardinality(String)'), '0100000000000000', '0102000000000000', '0101000000000000'].join('');
  assert.equal(hex(block).slice(0, 6 + head.length), '01ac02' + head, '1 column, 300 rows (varint ac 02)');
  const indexes = block.subarray(block.length - 600);
  assert.deepEqual([indexes.readUInt16LE(0), indexes.readUInt16LE(2 * 256), indexes.readUInt16LE(2 * 257), indexes.readUInt16LE(2 * 299)], [0, 256, 0, 42]);
});

test('strings of 128+ bytes get a multi-byte length; unknown types are refused', () => {
  const long = 'x'.repeat(200);
  const block = new NativeEncoder([{ name: 's', type: 'String' }]).encode([[long]]);
  assert.equal(hex(block), ['01', '01', str('s'), str('String'), 'c801', Buffer.from(long).toString('hex')].join(''));
  assert.throws(() => columnCodec('Decimal(10, 2)'), /unsupported column type/);
  assert.throws(() => new NativeEncoder([{ name: 't', type: "DateTime64(3, 'UTC')" }]).encode([['yesterday']]), /not a UTC time/);
});
