import { context, ROOT_CONTEXT, SpanKind, trace, type Link } from '@opentelemetry/api';
import { headerText } from '../../messaging/kafka-headers';
import { OUTBOX_HEADERS } from '../../messaging/outbox/outbox-wire';
import { endWith } from '../../lib/telemetry/business-span';
import { runInLogScope } from '../../lib/telemetry/log-context';
import { contextFromTraceparent, isTraceparent } from '../../lib/telemetry/trace-context';
import type { IncomingMessage } from './consumer-runner';

const tracer = trace.getTracer('trackops-consumers');

function destinationAttributes(consumer: string, { topic, partition }: IncomingMessage) {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': topic,
    'messaging.destination.partition.id': String(partition),
    'messaging.consumer.group.name': consumer,
  };
}

function messageAttributes(consumer: string, incoming: IncomingMessage) {
  const { message } = incoming;
  const id = headerText(message.headers, OUTBOX_HEADERS.id);
  const eventType = headerText(message.headers, OUTBOX_HEADERS.eventType);
  return {
    ...destinationAttributes(consumer, incoming),
    'messaging.kafka.offset': Number(message.offset),
    ...(message.key ? { 'messaging.kafka.message.key': message.key.toString() } : {}),
    ...(id ? { 'messaging.message.id': id } : {}),
    ...(eventType ? { 'trackops.event.type': eventType } : {}),
  };
}

/**
 * One attempt at applying one message, as a consumer span that is a child of the context the
 * producer wrote (the outbox row's traceparent, carried by Debezium into the `traceparent` header):
 * the consumer's work, and any signal it sends the saga, join the order's trace. Log lines written
 * meanwhile carry the event id as their request id.
 */
export function inMessageSpan<T>(
  consumer: string,
  incoming: IncomingMessage,
  work: () => Promise<T>,
): Promise<T> {
  const { topic, partition, message } = incoming;
  const parent = contextFromTraceparent(headerText(message.headers, OUTBOX_HEADERS.traceparent));
  const span = tracer.startSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, attributes: messageAttributes(consumer, incoming) },
    parent,
  );
  const requestId =
    headerText(message.headers, OUTBOX_HEADERS.id) ?? `${topic}/${partition}/${message.offset}`;
  return context.with(trace.setSpan(parent, span), () =>
    runInLogScope({ requestId }, () => endWith(span, work)),
  );
}

/** Messages applied together: one span linked to each message's producer context (the batch convention). */
export function inBatchSpan<T>(
  consumer: string,
  batch: IncomingMessage[],
  work: () => Promise<T>,
): Promise<T> {
  const first = batch[0];
  if (!first) return work();
  const links: Link[] = [];
  for (const { message } of batch) {
    const traceparent = headerText(message.headers, OUTBOX_HEADERS.traceparent);
    if (!isTraceparent(traceparent)) continue;
    const producer = trace.getSpanContext(contextFromTraceparent(traceparent, ROOT_CONTEXT));
    if (producer) links.push({ context: producer });
  }
  const span = tracer.startSpan(`process ${first.topic}`, {
    kind: SpanKind.CONSUMER,
    links,
    attributes: {
      ...destinationAttributes(consumer, first),
      'messaging.batch.message_count': batch.length,
    },
  });
  const last = batch[batch.length - 1] ?? first;
  const requestId = `${first.topic}/${first.partition}/${first.message.offset}-${last.message.offset}`;
  return context.with(trace.setSpan(context.active(), span), () =>
    runInLogScope({ requestId }, () => endWith(span, work)),
  );
}
