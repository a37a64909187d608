// Reads Kafka topics from the beginning with kafkajs (an independent client)
// and prints one JSON line per record: topic, partition, offset, key, value
// (null for a tombstone) and headers. Stops once every partition has been
// read to the high watermark taken at start, or after `idleMs` without a
// record (transaction markers occupy offsets no consumer ever receives).
// Usage: node consume.mjs <brokers> <topic[,topic...]> [idleMs]
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const [brokers, topicsArg, idleArg] = process.argv.slice(2);
const topics = topicsArg.split(',');
const idleMs = Number(idleArg ?? 2500);

const kafka = new Kafka({ clientId: 'spsync-test-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const pending = new Map();
for (const topic of topics) {
  for (const p of await admin.fetchTopicOffsets(topic)) {
    if (Number(p.high) > Number(p.low)) pending.set(`${topic}/${p.partition}`, Number(p.high) - 1);
  }
}
await admin.disconnect();

const consumer = kafka.consumer({ groupId: `spsync-test-${process.pid}-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: true });
// The idle clock starts once the group is joined: joining takes a while.
let joined = false;
let last = Date.now();
const started = Date.now();
consumer.on(consumer.events.GROUP_JOIN, () => {
  joined = true;
  last = Date.now();
});
let count = 0;
await new Promise((resolve, reject) => {
  const timer = setInterval(() => {
    if (pending.size === 0 || (joined && Date.now() - last > idleMs) || Date.now() - started > 60000) {
      clearInterval(timer);
      resolve();
    }
  }, 50);
  consumer
    .run({
      eachMessage: async ({ topic, partition, message }) => {
        last = Date.now();
        count++;
        const headers = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = v?.toString() ?? null;
        process.stdout.write(
          JSON.stringify({
            topic,
            partition,
            offset: Number(message.offset),
            key: message.key?.toString() ?? null,
            value: message.value === null ? null : message.value.toString(),
            headers,
          }) + '\n',
        );
        const id = `${topic}/${partition}`;
        if (pending.has(id) && Number(message.offset) >= pending.get(id)) pending.delete(id);
      },
    })
    .catch(reject);
});
await consumer.disconnect();
process.stdout.write(JSON.stringify({ done: true, count, unfinished: [...pending.keys()] }) + '\n');
