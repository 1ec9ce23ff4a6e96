import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { KafkaSchema } from '../../../src/config/bus.js';
import { TOPICS } from '../../../src/bus/bus.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';
import { dropTestResources } from '../../support/cleanup.js';

const brokers = await kafkaBrokers();
const env = { KAFKA_BROKERS: brokers.join(',') };
const runPrefix = uniqueName('bw_ship_batch');
after(() => dropTestResources({ brokers, topicPrefix: runPrefix }));

// A load balancer with one backend and one server sends every event with one key: one partition
// gets the whole batch. batch_max_bytes (default 1 MiB) of values plus each record's framing must
// still fit the broker's default message.max.bytes (1 MiB + 12), or the send is refused forever.
for (const client of ['kafkajs', 'platformatic'] as const) {
  test(`a full default batch of one key is accepted by the broker (${client})`, async () => {
    const prefix = `${runPrefix}_${client}.`;
    const bus = new KafkaBus(KafkaSchema.parse({ topic_prefix: prefix, partitions: 3, compression: 'none', client, retry_max_ms: 500 }), env);
    try {
      await bus.ensureTopics([{ name: TOPICS.events }]);
      const messages = Array.from({ length: 2500 }, (_, i) => ({ key: 'lb1|be_app|s1', value: `{"n":${i},"pad":"${'x'.repeat(1000)}"}` }));
      let timer: NodeJS.Timeout | undefined;
      const refused = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('not acknowledged in 20 s (refused and retried)'), 20_000)));
      try {
        const outcome = await Promise.race([bus.publish(TOPICS.events, messages).then(() => 'acknowledged'), refused]);
        assert.equal(outcome, 'acknowledged');
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await bus.close();
    }
  });
}
