import { parseDatasource, type DatasourceConfig } from './datasource';

export type Invocation =
  | { kind: 'version' }
  | { kind: 'one-shot'; command: string; datasource: DatasourceConfig }
  | { kind: 'rpc'; datamodels: string[]; datasource: DatasourceConfig };

/**
 * The command lines the Prisma CLI uses for its schema engine:
 *   --version
 *   --datasource <json> cli <can-connect-to-database | create-database | drop-database>
 *   [--datamodels <file>]... [--datasource <json>] [--enabled-preview-features <list>] [--extension-types <json>]
 * Anything else is refused, so a CLI upgrade that speaks differently fails loudly.
 */
export function parseInvocation(argv: readonly string[]): Invocation {
  if (argv.includes('--version') || argv.includes('-V')) return { kind: 'version' };
  const datamodels: string[] = [];
  let datasource: DatasourceConfig = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--datamodels':
      case '-d':
        datamodels.push(value());
        break;
      case '--datasource':
        datasource = parseDatasource(value());
        break;
      // The wasm engine reads preview features from the schema's generator block itself.
      case '--enabled-preview-features':
        value();
        break;
      case '--extension-types':
        throw new Error(
          '--extension-types (prisma.config.ts `extensions`) is not supported by the wasm bridge',
        );
      default:
        if (arg.startsWith('-')) throw new Error(`Unknown schema engine argument: ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length === 0) return { kind: 'rpc', datamodels, datasource };
  if (positional[0] === 'cli' && positional.length === 2) {
    return { kind: 'one-shot', command: positional[1] as string, datasource };
  }
  throw new Error(`Unknown schema engine command: ${positional.join(' ')}`);
}
