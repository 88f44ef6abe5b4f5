import { generateClients } from '../deploy/stack/migrations';

/**
 * The Prisma clients are generated code (git-ignored) that most commands import, so they are made
 * (or found up to date) before the rest of the CLI is loaded. Generation needs no database.
 */
async function main() {
  await generateClients();
  const { createProgram } = await import('./program');
  await createProgram().parseAsync(process.argv);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
