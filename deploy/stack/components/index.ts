import type { Component } from '../component';
import { seedDemoInventory } from '../demo-inventory';
import { appEnvironment, appProcess } from './app-process';
import { connectComponent } from './connect';
import { kafkaComponent } from './kafka';
import { postgresComponent } from './postgres';
import { prometheusComponent } from './prometheus';
import { redisComponent } from './redis';
import { temporalComponent } from './temporal';
import { zipkinComponent } from './zipkin';

/** Flags for node itself per app process; docker-compose.yml runs them with the same ones. */
export const APP_NODE_FLAGS: Readonly<Record<'worker' | 'api' | 'consumers', string[]>> = {
  worker: [],
  api: [],
  // Kafka batches allocate fast: a larger young generation means fewer scavenges, each a pause of
  // every consumer in the process (half the GC time in bench/cdc-lag.ts at 500 changes/s).
  consumers: ['--max-semi-space-size=32'],
};

export const workerComponent = appProcess({
  name: 'worker',
  entry: 'worker/main.ts',
  nodeFlags: APP_NODE_FLAGS.worker,
  dependsOn: ['postgres', 'redis', 'temporal'],
});

export const apiComponent = appProcess({
  name: 'api',
  entry: 'api/main.ts',
  nodeFlags: APP_NODE_FLAGS.api,
  dependsOn: ['postgres', 'redis', 'temporal', 'kafka', 'connect', 'worker'],
  beforeStart: async (ctx) => {
    const created = await seedDemoInventory(appEnvironment(ctx).INVENTORY_DATABASE_URL!);
    if (created.length > 0) ctx.progress('api', `seeded demo inventory: ${created.join(', ')}`);
  },
});

export const consumersComponent = appProcess({
  name: 'consumers',
  entry: 'consumers/main.ts',
  nodeFlags: APP_NODE_FLAGS.consumers,
  dependsOn: ['postgres', 'redis', 'kafka', 'connect', 'temporal'],
});

/** Every component of the local stack, dependencies before dependents. */
export const STACK_COMPONENTS: readonly Component[] = [
  postgresComponent,
  redisComponent,
  kafkaComponent,
  connectComponent,
  temporalComponent,
  zipkinComponent,
  workerComponent,
  apiComponent,
  consumersComponent,
  prometheusComponent,
];
