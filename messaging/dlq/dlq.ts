/**
 * Dead-letter topics (`<topic>.dlq`, written by consumers/runtime/dead-letter.ts): counting,
 * reading, replaying and purging them, one module each in this folder, all exported here. Shared
 * by `trackops dlq ...` (cli/dlq-command.ts) and `GET /api/dlq` (api/routes/dlq.ts).
 *
 * "Pending" is defined by one consumer group, DLQ_REPLAY_GROUP, that no consumer process joins:
 * in each partition the messages from max(low watermark, the group's committed offset) up to the
 * end offset are pending; the ones before were replayed (or purged). `replay` commits the group's
 * offset after each message it re-published; `purge` deletes the records up to the end offset,
 * which moves the low watermark past them. Kafka expires a group's offsets
 * `offsets.retention.minutes` (7 days by default) after its last commit, after which replayed
 * messages still retained would count as pending again: purge what was replayed before that.
 */
export {
  countAllDlqs,
  countDlq,
  type DlqOptions,
  type DlqPartitionCount,
  type DlqTopicCount,
} from './counts';
export { describeDlqMessage, originalHeaders, type DlqEntry } from './entries';
export { purgeDlq, type PurgeResult } from './purge';
export { replayDlq, type ReplayResult } from './replay';
export { showDlq, type ShowResult } from './show';
export {
  asDlqTopic,
  DLQ_HEADERS,
  DLQ_REPLAY_GROUP,
  DLQ_SUFFIX,
  dlqTopicOf,
  isDlqTopic,
  listDlqTopics,
  originalTopicOf,
  UnknownDlqTopicError,
} from './topics';
