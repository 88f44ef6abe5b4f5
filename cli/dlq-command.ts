import type { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import {
  asDlqTopic,
  countAllDlqs,
  DLQ_REPLAY_GROUP,
  purgeDlq,
  replayDlq,
  showDlq,
  type DlqEntry,
  type DlqTopicCount,
} from '../messaging/dlq/dlq';
import { loadConfig } from '../lib/config';

function kafkaClient(): Kafka {
  const config = loadConfig();
  return new Kafka({
    clientId: 'trackops-cli-dlq',
    brokers: config.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    retry: { retries: 3 },
  });
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--limit must be a positive whole number, not ${value}`);
  return n;
};

const out = (text: string) => process.stdout.write(`${text}\n`);

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function countTable(counts: DlqTopicCount[]): string {
  return table([
    ['DLQ TOPIC', 'PENDING', 'RETAINED', 'PER PARTITION (pending)'],
    ...counts.map((c) => [
      c.topic,
      String(c.pending),
      String(c.retained),
      c.partitions.map((p) => `${p.partition}:${p.pending}`).join(' '),
    ]),
  ]);
}

function entryText(entry: DlqEntry): string {
  const headers = Object.entries(entry.headers)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  return [
    `${entry.dlqTopic} partition ${entry.partition} offset ${entry.offset}`,
    `  error:     ${entry.error ?? '(none)'}`,
    `  original:  ${entry.originalTopic} partition ${entry.originalPartition ?? '?'} offset ${entry.originalOffset ?? '?'}`,
    `  attempts:  ${entry.attempts ?? '?'}   consumer: ${entry.consumer ?? '?'}   failedAt: ${entry.failedAt ?? '?'}`,
    `  key:       ${entry.key ?? '(null)'}`,
    `  headers:   ${headers || '(none)'}`,
    `  value:     ${entry.valuePreview ?? '(null)'} (${entry.valueBytes} bytes)`,
  ].join('\n');
}

/**
 * `trackops dlq list | show | replay | purge`: the dead-letter topics. A message is pending until
 * replayed or purged; see messaging/dlq/dlq.ts for the definition.
 */
export function registerDlqCommand(program: Command): void {
  const dlq = program
    .command('dlq')
    .description(
      `dead-letter topics (<topic>.dlq): pending = not yet replayed or purged, per the offsets of consumer group ${DLQ_REPLAY_GROUP}`,
    );
  const groupOption = [
    '--group <groupId>',
    'the consumer group that marks messages done',
    DLQ_REPLAY_GROUP,
  ] as const;

  dlq
    .command('list')
    .description('each dead-letter topic with its pending and retained message counts')
    .option('--json', 'print JSON')
    .option(...groupOption)
    .action(async (options: { json?: boolean; group: string }) => {
      const admin = kafkaClient().admin();
      await admin.connect();
      try {
        const counts = await countAllDlqs(admin, { group: options.group });
        if (options.json) out(JSON.stringify({ group: options.group, topics: counts }, null, 2));
        else {
          out(countTable(counts));
          out(`total pending: ${counts.reduce((sum, c) => sum + c.pending, 0)}`);
        }
      } finally {
        await admin.disconnect();
      }
    });

  dlq
    .command('show <topic>')
    .description('the pending messages of a dead-letter topic: why they failed, where from, key and value')
    .option('--limit <n>', 'at most this many messages', positiveInt, 20)
    .option('--json', 'print JSON')
    .option(...groupOption)
    .action(async (topic: string, options: { limit: number; json?: boolean; group: string }) => {
      const result = await showDlq(kafkaClient(), asDlqTopic(topic), options);
      if (options.json) {
        out(JSON.stringify(result, null, 2));
        return;
      }
      out(countTable([result.count]));
      if (result.entries.length === 0) out('no pending messages');
      for (const entry of result.entries) out(`\n${entryText(entry)}`);
    });

  dlq
    .command('replay <topic>')
    .description(
      'publish pending messages again to their original topic (original key, value and headers), then mark them done',
    )
    .option('--limit <n>', 'at most this many messages', positiveInt)
    .option(...groupOption)
    .action(async (topic: string, options: { limit?: number; group: string }) => {
      const kafka = kafkaClient();
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const result = await replayDlq(kafka, producer, asDlqTopic(topic), options);
        for (const entry of result.replayed) {
          out(
            `replayed ${entry.dlqTopic}[${entry.partition}]@${entry.offset} -> ${entry.originalTopic}` +
              `[${entry.originalPartition ?? '?'}] (${entry.error ?? 'no error recorded'})`,
          );
        }
        out(`replayed ${result.replayed.length}; still pending: ${result.after.pending}`);
        if (!result.complete) {
          out('stopped before the end: another replay may hold some partitions; run it again');
          process.exitCode = 1;
        }
      } finally {
        await producer.disconnect();
      }
    });

  dlq
    .command('purge <topic>')
    .description('delete every message of a dead-letter topic up to its current end (needs --yes)')
    .option('--yes', 'really delete them')
    .option(...groupOption)
    .action(async (topic: string, options: { yes?: boolean; group: string }) => {
      if (!options.yes) {
        process.stderr.write('purge deletes the messages for good; repeat with --yes\n');
        process.exitCode = 2;
        return;
      }
      const admin = kafkaClient().admin();
      await admin.connect();
      try {
        const result = await purgeDlq(admin, asDlqTopic(topic), options);
        out(`purged ${result.deleted} message(s) from ${result.topic}; pending now ${result.after.pending}`);
      } finally {
        await admin.disconnect();
      }
    });
}
