/**
 * kafkajs's lines go through pino: the same JSON shape as every other line of the process, with
 * the request id of the message being handled when one is.
 */
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { pinoLogCreator } from '../../lib/kafka-logging';
import { runInLogScope, logCorrelationFields } from '../../lib/telemetry/log-context';

test('a refused connection is logged as a pino error line carrying the request id', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino(
    { name: 'consumers', base: { service: 'consumers' }, mixin: logCorrelationFields },
    sink,
  );
  const kafka = new Kafka({
    clientId: 'kafka-logging-test',
    // Nothing listens on port 1: kafkajs logs the refused connection, then gives up.
    brokers: ['127.0.0.1:1'],
    retry: { retries: 0 },
    connectionTimeout: 1000,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
  });
  const producer = kafka.producer();
  await runInLogScope({ requestId: 'event-42' }, () => expect(producer.connect()).rejects.toThrow());

  const errors = lines.filter((line) => line.level === 50);
  expect(errors.length).toBeGreaterThan(0);
  for (const line of errors) {
    expect(line).toMatchObject({ service: 'consumers', component: 'kafkajs', request_id: 'event-42' });
    expect(typeof line.msg).toBe('string');
    expect(typeof line.time).toBe('number');
    expect(line).not.toHaveProperty('message');
    expect(line).not.toHaveProperty('logger');
  }
});
