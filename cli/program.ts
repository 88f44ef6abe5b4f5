import { Command } from 'commander';
import { registerBenchCommand } from './bench-command';
import { registerDlqCommand } from './dlq-command';
import { registerRecordHistoriesCommand } from './record-histories';
import { registerReplayCommand } from './replay-command';
import { registerStackCommands } from './stack-commands';
import { registerTestCommand } from './test-command';
import { registerTraceCommand } from './trace-command';
import { registerTokenCommand } from './token-command';

/** Every `trackops` subcommand. */
export function createProgram(): Command {
  const program = new Command('trackops').description(
    'TrackOps: real-time order tracking on Temporal, Postgres, Debezium, Kafka and Redis',
  );
  registerStackCommands(program);
  registerTestCommand(program);
  registerReplayCommand(program);
  registerTraceCommand(program);
  registerRecordHistoriesCommand(program);
  registerDlqCommand(program);
  registerBenchCommand(program);
  registerTokenCommand(program);
  return program;
}
