import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka } from 'kafkajs';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { KafkaSchema } from '../../../src/config/bus.js';
import type { BusRecord, TopicPartition } from '../../../src/bus/bus.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';

const brokers = await kafkaBrokers();
const env = { KAFKA_BROKERS: brokers.join(',') };
const created: string[] = [];
after(async () => {
  const admin = new Kafka({ brokers, logLevel: 0 }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: created }).catch(() => undefined);
  await admin.disconnect();
});

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('publish resolves after acks=all; a consumer group gets every record once, per partition, and its assignment', async () => {
  const prefix = `${uniqueName('bw_bus')}.`;
  const bus = new KafkaBus(KafkaSchema.parse({ partitions: 3, linger_ms: 5, topic_prefix: prefix }), env);
  const topic = 'haproxy.events';
  created.push(prefix + topic);
  await bus.ensureTopics([{ name: topic }]);
  await bus.ensureTopics([{ name: topic }]); // idempotent
  const values = Array.from({ length: 5000 }, (_, i) => ({ key: `h|be|s${i % 10}`, value: JSON.stringify({ i }) }));
  await Promise.all([bus.publish(topic, values.slice(0, 2500)), bus.publish(topic, values.slice(2500))]);

  const got: BusRecord[] = [];
  const assigned: TopicPartition[] = [];
  let failOnce = true;
  const sub = await bus.consume({
    groupId: uniqueName('bw_group'),
    topics: [topic],
    fromBeginning: true,
    onAssigned: async (tps) => void assigned.push(...tps),
    onBatch: async (records) => {
      assert.ok(assigned.some((tp) => tp.partition === records[0].partition), 'onAssigned ran before the batch');
      if (failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      assert.equal(new Set(records.map((r) => r.partition)).size, 1);
      got.push(...records);
    },
  });
  await until(() => got.length >= 5000);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(got.length, 5000, 'redelivered batch counted once');
  assert.ok(got.every((r) => r.topic === topic), 'records carry the contract topic name, not the prefixed one');
  assert.deepEqual(new Set(got.map((r) => JSON.parse(r.value.toString()).i)).size, 5000);
  assert.deepEqual(assigned.map((t) => t.partition).sort(), [0, 1, 2]);
  for (let s = 0; s < 10; s++) assert.equal(new Set(got.filter((r) => r.key === `h|be|s${s}`).map((r) => r.partition)).size, 1);
  await sub.stop();
  await bus.close();
});

test('both producer clients: every message once, acks=all, and a key lands on the same partition whichever client sent it', async () => {
  const prefix = `${uniqueName('bw_bus_clients')}.`;
  const topic = 'haproxy.events';
  created.push(prefix + topic);
  const clients = ['kafkajs', 'platformatic'] as const;
  const buses = clients.map((client, i) =>
    new KafkaBus(KafkaSchema.parse({ partitions: 6, linger_ms: 5, topic_prefix: prefix, client, compression: i === 0 ? 'gzip' : 'none' }), env),
  );
  await buses[0].ensureTopics([{ name: topic }]);
  await buses[1].ensureTopics([{ name: topic }]);
  const PER_CLIENT = 3000;
  await Promise.all(
    buses.map((bus, c) => {
      const messages = Array.from({ length: PER_CLIENT }, (_, i) => ({ key: i % 100 === 99 ? null : `lb${i % 7}|be_${i % 5}|s${i % 13}`, value: JSON.stringify({ c, i }) }));
      return Promise.all([bus.publish(topic, messages.slice(0, 1000)), bus.publish(topic, messages.slice(1000))]);
    }),
  );
  const got: BusRecord[] = [];
  const sub = await buses[0].consume({ groupId: uniqueName('bw_group'), topics: [topic], fromBeginning: true, onBatch: async (records) => void got.push(...records) });
  await until(() => got.length >= 2 * PER_CLIENT);
  await new Promise((r) => setTimeout(r, 300));
  await sub.stop();
  for (const bus of buses) await bus.close();
  assert.equal(got.length, 2 * PER_CLIENT, 'every message exactly once');
  assert.equal(new Set(got.map((r) => r.value.toString())).size, 2 * PER_CLIENT);
  const partitionsOfKey = new Map<string, Set<number>>();
  for (const r of got) if (r.key !== null) partitionsOfKey.set(r.key, (partitionsOfKey.get(r.key) ?? new Set()).add(r.partition));
  for (const [key, parts] of partitionsOfKey) assert.equal(parts.size, 1, `key ${key} on partitions ${[...parts].join(',')}`);
  assert.ok(new Set(got.map((r) => r.partition)).size === 6, 'keys spread over all partitions');
  const unkeyed = got.filter((r) => r.key === null && JSON.parse(r.value.toString()).c === 1);
  assert.ok(new Set(unkeyed.map((r) => r.partition)).size > 1, 'messages without a key are spread');
});

test('processes starting together create the same topics at once: every ensureTopics succeeds and the topics are usable', async () => {
  for (let round = 0; round < 3; round++) {
    const prefix = `${uniqueName('bw_race')}.`;
    const topics = ['haproxy.events', 'haproxy.rejects', 'breakwater.alerts', 'haproxy.stats'];
    created.push(...topics.map((t) => prefix + t));
    const buses = Array.from({ length: 4 }, () => new KafkaBus(KafkaSchema.parse({ partitions: 4, linger_ms: 5, topic_prefix: prefix }), env));
    try {
      await Promise.all(buses.map((b) => b.ensureTopics(topics.map((name) => ({ name })))));
      await Promise.all(buses.map((b, i) => b.publish('haproxy.events', [{ key: `k${i}`, value: `v${i}` }])));
    } finally {
      await Promise.all(buses.map((b) => b.close()));
    }
  }
});
