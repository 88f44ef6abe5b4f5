import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { DLQ_HEADERS, dlqTopicOf } from '../../messaging/dlq/topics';
import { sendVerbatim } from '../../messaging/verbatim-send';
import { asVerbatimCopy } from '../../lib/telemetry/verbatim-messages';

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  error: Error;
  attempts: number;
  consumer: string;
}

/** Publishes the message unchanged (key, value, its own headers) to `<topic>.dlq`, plus why it failed. */
export async function sendToDeadLetterTopic(producer: Producer, letter: DeadLetter): Promise<void> {
  // Debezium sends a NULL column as a header with a null value, which kafkajs cannot produce.
  const carried = Object.fromEntries(
    Object.entries(letter.message.headers ?? {}).filter(([, value]) => value !== null && value !== undefined),
  );
  const headers: IHeaders = {
    ...carried,
    [DLQ_HEADERS.error]: letter.error.message.slice(0, 2000),
    [DLQ_HEADERS.stack]: (letter.error.stack ?? '').slice(0, 8000),
    [DLQ_HEADERS.originalTopic]: letter.topic,
    [DLQ_HEADERS.partition]: String(letter.partition),
    [DLQ_HEADERS.offset]: letter.message.offset,
    [DLQ_HEADERS.attempts]: String(letter.attempts),
    [DLQ_HEADERS.consumer]: letter.consumer,
    [DLQ_HEADERS.failedAt]: new Date().toISOString(),
  };
  await sendVerbatim(() =>
    producer.send({
      topic: dlqTopicOf(letter.topic),
      acks: -1,
      messages: [asVerbatimCopy({ key: letter.message.key, value: letter.message.value, headers })],
    }),
  );
}
