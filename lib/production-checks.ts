import { LOCAL_JWT_SECRET, LOCAL_TRACKING_TOKEN_SECRET, type AppConfig } from './config';

/** The password the local stack and docker-compose give the app's database roles unless told otherwise. */
const LOCAL_DATABASE_PASSWORD = 'trackops';

/** What makes this configuration unfit for production: the public development defaults it still uses. */
export function productionProblems(config: AppConfig, options: { verifiesTokens: boolean }): string[] {
  if (config.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  for (const key of ['ORDERS_DATABASE_URL', 'INVENTORY_DATABASE_URL'] as const) {
    const password = decodeURIComponent(new URL(config[key]).password);
    if (password === '' || password === LOCAL_DATABASE_PASSWORD)
      problems.push(`${key} uses the local default database password`);
  }
  if (options.verifiesTokens && config.AUTH_JWKS_URL === '' && config.AUTH_JWT_SECRET === LOCAL_JWT_SECRET)
    problems.push('AUTH_JWT_SECRET is the public development signing key (set it, or AUTH_JWKS_URL)');
  // Anyone knowing the key could mint a tracking link, and read the address, of any order.
  if (options.verifiesTokens && config.TRACKING_TOKEN_SECRET === LOCAL_TRACKING_TOKEN_SECRET)
    problems.push('TRACKING_TOKEN_SECRET is the public development tracking-token key');
  return problems;
}

/**
 * Start-up guard of every app process: production never runs on the development defaults. Only the
 * API verifies tokens (bearer and tracking), so only it needs their keys.
 */
export function assertProductionReady(config: AppConfig, options: { verifiesTokens: boolean }): void {
  const problems = productionProblems(config, options);
  if (problems.length > 0)
    throw new Error(
      `refusing to start with NODE_ENV=production:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
}
