import type { Command } from 'commander';
import { renderTraceTree, tracesOfOrder, zipkinBaseUrl } from '../lib/telemetry/zipkin-traces';

/** `trackops trace <orderId>`: where the order's time went, from the trace backend. */
export function registerTraceCommand(program: Command): void {
  program
    .command('trace <orderId>')
    .description(
      "print the order's traces (placement first) as trees: service, span name, duration (from Zipkin)",
    )
    .option('--zipkin <url>', 'Zipkin base URL', zipkinBaseUrl())
    .action(async (orderId: string, options: { zipkin: string }) => {
      const traces = await tracesOfOrder(orderId, { baseUrl: options.zipkin });
      if (traces.length === 0) {
        process.stdout.write(
          `no trace of order ${orderId} in ${options.zipkin} (is it traced? Zipkin keeps spans in memory)\n`,
        );
        process.exitCode = 1;
        return;
      }
      for (const spans of traces) {
        process.stdout.write(
          `trace ${spans[0]?.traceId ?? '?'}  (${options.zipkin}/zipkin/traces/${spans[0]?.traceId ?? ''})\n`,
        );
        process.stdout.write(`${renderTraceTree(spans)}\n\n`);
      }
    });
}
