import type { Client } from '@temporalio/client';
import type Redis from 'ioredis';
import type { InventoryDb } from '../domain/inventory/db';
import type { OrdersDb } from '../domain/orders/db';
import type { AppConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { OrderEventBus } from './tracking/order-event-bus';
import type { StreamOptions } from './tracking/stream-route';

/** Everything the HTTP layer talks to; tests build one with real clients and their own settings. */
export interface ApiDependencies {
  config: AppConfig;
  logger: Logger;
  ordersDb: OrdersDb;
  inventoryDb: InventoryDb;
  temporal: Client;
  redis: Redis;
  /** The live outbox feed of the tracking streams; the app makes its own when none is given. */
  orderEvents?: OrderEventBus;
  /** The tracking streams' heartbeat and reconnect timing, over DEFAULT_STREAM_OPTIONS (tests shorten it). */
  streamOptions?: Partial<StreamOptions>;
}
