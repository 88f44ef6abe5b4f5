import fs from 'node:fs';
import type { Command } from 'commander';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { readHistoryFile, replayHistory } from '../lib/replay';
import { createTemporalClient } from '../lib/temporal-client';

/** `trackops replay <workflowId | history.json>`: is this history deterministic under today's code? */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay <source>')
    .description(
      'replay a workflow history (a workflow id on the server, or a history .json file) against the current code',
    )
    .action(async (source: string) => {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
      let history: unknown;
      let workflowId = source;
      if (fs.existsSync(source)) {
        history = readHistoryFile(source);
        workflowId = `file:${source}`;
      } else {
        const config = loadConfig();
        const client = createTemporalClient(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
        try {
          history = await client.workflow.getHandle(source).fetchHistory();
        } finally {
          await client.connection.close();
        }
      }
      const outcome = await replayHistory(history, workflowId);
      if (outcome.deterministic) {
        process.stdout.write(`deterministic: ${source} replays cleanly against the current workflow code\n`);
      } else {
        process.stdout.write(`NOT deterministic: ${source}\n${outcome.error.message}\n`);
        process.exitCode = 1;
      }
    });
}
