import { Option, type Command } from 'commander';
import { ROLES, type Role } from '../api/auth/principal';
import { mintLocalToken } from '../api/auth/tokens';
import { loadConfig } from '../lib/config';

/** `trackops token --role <role> [--customer <id>]`: a development bearer token on stdout. */
export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print a local development bearer token, signed with AUTH_JWT_SECRET')
    .addOption(new Option('--role <role>', 'the caller').choices(ROLES).makeOptionMandatory())
    .option('--customer <id>', 'the customer a customer token belongs to (required for --role customer)')
    .option('--subject <sub>', 'the token subject (default: derived from the role or customer)')
    .option('--expires-in <span>', 'lifetime such as 30m, 12h or 7d', '12h')
    .action(async (options: { role: Role; customer?: string; subject?: string; expiresIn: string }) => {
      if (options.role === 'customer' && !options.customer)
        program.error('--role customer needs --customer <id>');
      const token = await mintLocalToken(loadConfig(), {
        role: options.role,
        ...(options.customer ? { customerId: options.customer } : {}),
        ...(options.subject ? { subject: options.subject } : {}),
        expiresIn: options.expiresIn,
      });
      process.stdout.write(`${token}\n`);
    });
}
