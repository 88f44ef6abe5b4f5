import { Registry } from 'prom-client';
import { loadConfig } from '../../lib/config';
import { startHealthServer } from '../../lib/health-server';

const answers = (url: string) =>
  fetch(url).then(
    (response) => response.status,
    (error: unknown) => (error as { cause?: { code?: string } }).cause?.code ?? 'failed',
  );

describe('where the app binds (HOST)', () => {
  it('defaults to loopback, takes an address from the environment and refuses anything else', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(() => loadConfig({ HOST: 'every-interface' })).toThrow(/HOST/);
  });

  it('the health server listens on the configured address only', async () => {
    // 127.0.0.2 is loopback too, but a socket bound to it is not reachable as 127.0.0.1.
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.2',
      registry: new Registry(),
      live: () => true,
    });
    try {
      const { port } = server.address() as { port: number };
      expect(await answers(`http://127.0.0.2:${port}/health`)).toBe(200);
      expect(await answers(`http://127.0.0.1:${port}/health`)).toBe('ECONNREFUSED');
    } finally {
      server.close();
    }
  });
});
