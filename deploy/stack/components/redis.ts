import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import type { Component, StackContext } from '../component';
import { installDebianPackages } from '../apt';
import { commandExists } from '../commands';
import { launchDetached, livePid, stopProcess } from '../processes';
import { LOOPBACK } from '../ports';

const dataDir = (ctx: StackContext) => path.join(ctx.paths.data, 'redis');
const pidFile = (ctx: StackContext) => path.join(ctx.paths.run, 'redis.pid');

export const redisComponent: Component = {
  name: 'redis',
  dependsOn: [],
  startTimeoutMs: 30_000,
  port: (ctx) => ctx.ports.REDIS_PORT,
  logFile: (ctx) => path.join(ctx.paths.logs, 'redis.log'),
  pid: (ctx) => livePid(pidFile(ctx)),
  dataDirs: (ctx) => [dataDir(ctx)],

  async install(ctx) {
    if (await commandExists('redis-server')) return;
    await installDebianPackages(['redis-server'], (m) => ctx.progress('redis', m));
  },

  async isHealthy(ctx) {
    const client = new Redis({
      host: LOOPBACK,
      port: ctx.ports.REDIS_PORT,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  },

  async start(ctx) {
    fs.mkdirSync(dataDir(ctx), { recursive: true });
    // The append-only file keeps the cache warm and the simulated payment provider's ledger across
    // restarts. Only keys with a TTL (the cache) may be evicted; the ledger must stay.
    launchDetached({
      command: 'redis-server',
      args: [
        '--bind',
        LOOPBACK,
        '--port',
        String(ctx.ports.REDIS_PORT),
        '--dir',
        dataDir(ctx),
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory',
        '512mb',
        '--maxmemory-policy',
        'volatile-lru',
        '--protected-mode',
        'yes',
      ],
      logFile: this.logFile(ctx),
      pidFile: pidFile(ctx),
    });
  },

  async configure() {
    // Redis needs no schema; keys are created by the app.
  },

  async stop(ctx) {
    await stopProcess(pidFile(ctx), 15_000);
  },
};
