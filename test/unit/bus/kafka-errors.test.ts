import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { isTransientKafkaError } from '../../../src/bus/kafka.js';

const { KafkaJSConnectionError, KafkaJSProtocolError } = kafkajs; // CommonJS: no named exports under ESM

test('ensureTopics waits out what a starting cluster or a concurrent creator causes, and fails on a bad request', () => {
  // What a processor saw when another created the same topics at the same moment (CI, fleet e2e).
  const racing = new KafkaJSProtocolError({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true, message: 'This server does not host this topic-partition' } as never);
  assert.equal(isTransientKafkaError(racing), true);
  assert.equal(isTransientKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092')), true);
  const badReplication = new KafkaJSProtocolError({ type: 'INVALID_REPLICATION_FACTOR', code: 38, retriable: false, message: 'Replication-factor is invalid' } as never);
  assert.equal(isTransientKafkaError(badReplication), false);
  assert.equal(isTransientKafkaError(new Error('something else')), false);
});
