import { LOCAL_JWT_SECRET, loadConfig } from '../../lib/config';
import { assertProductionReady, productionProblems } from '../../lib/production-checks';

const safe = {
  NODE_ENV: 'production',
  ORDERS_DATABASE_URL:
    'postgresql://trackops_orders:Zq9%40long@db.internal:5432/trackops_orders?sslmode=require',
  INVENTORY_DATABASE_URL: 'postgresql://trackops_inventory:Zq9%40long@db.internal:5432/trackops_inventory',
  AUTH_JWT_SECRET: 'a-production-signing-key-of-enough-length',
  TRACKING_TOKEN_SECRET: 'a-production-tracking-key-of-enough-length',
};

describe('production start-up checks', () => {
  it('accept production settings that replace every local default', () => {
    expect(productionProblems(loadConfig(safe), { verifiesTokens: true })).toEqual([]);
    expect(() => assertProductionReady(loadConfig(safe), { verifiesTokens: true })).not.toThrow();
    const jwks = loadConfig({
      ...safe,
      AUTH_JWT_SECRET: undefined,
      AUTH_JWKS_URL: 'https://idp.example/jwks.json',
    });
    expect(productionProblems(jwks, { verifiesTokens: true })).toEqual([]);
  });

  it('refuse the local default database password and the development signing key', () => {
    const defaults = loadConfig({ NODE_ENV: 'production' });
    expect(defaults.AUTH_JWT_SECRET).toBe(LOCAL_JWT_SECRET);
    expect(productionProblems(defaults, { verifiesTokens: true })).toEqual([
      'ORDERS_DATABASE_URL uses the local default database password',
      'INVENTORY_DATABASE_URL uses the local default database password',
      'AUTH_JWT_SECRET is the public development signing key (set it, or AUTH_JWKS_URL)',
      'TRACKING_TOKEN_SECRET is the public development tracking-token key',
    ]);
    expect(() => assertProductionReady(defaults, { verifiesTokens: false })).toThrow(
      /refusing to start with NODE_ENV=production:\n {2}ORDERS_DATABASE_URL/,
    );
    const noPassword = loadConfig({
      ...safe,
      INVENTORY_DATABASE_URL: 'postgresql://inv@db.internal:5432/inv',
    });
    expect(productionProblems(noPassword, { verifiesTokens: true })).toEqual([
      'INVENTORY_DATABASE_URL uses the local default database password',
    ]);
  });

  it('only ask the API, which verifies tokens, for its keys', () => {
    const workerConfig = loadConfig({
      ...safe,
      AUTH_JWT_SECRET: undefined,
      TRACKING_TOKEN_SECRET: undefined,
    });
    expect(productionProblems(workerConfig, { verifiesTokens: false })).toEqual([]);
    expect(productionProblems(workerConfig, { verifiesTokens: true })).toHaveLength(2);
    const localTrackingKey = loadConfig({ ...safe, TRACKING_TOKEN_SECRET: undefined });
    expect(productionProblems(localTrackingKey, { verifiesTokens: true })).toEqual([
      'TRACKING_TOKEN_SECRET is the public development tracking-token key',
    ]);
  });

  it('leave development and test runs alone', () => {
    expect(productionProblems(loadConfig({}), { verifiesTokens: true })).toEqual([]);
    expect(productionProblems(loadConfig({ NODE_ENV: 'test' }), { verifiesTokens: true })).toEqual([]);
  });
});
