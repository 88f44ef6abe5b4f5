import { Command } from 'commander';
import { registerStackCommands } from './stack-commands';
import { registerRecordHistoriesCommand } from './record-histories';
import { registerReplayCommand } from './replay-command';
import { registerTestCommand } from './test-command';

const program = new Command('trackops').description(
  'TrackOps: real-time order tracking on Temporal, Postgres, Debezium, Kafka and Redis',
);
registerStackCommands(program);
registerTestCommand(program);
registerReplayCommand(program);
registerRecordHistoriesCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
