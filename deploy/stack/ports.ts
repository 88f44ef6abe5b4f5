import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const portsSchema = z.object({
  POSTGRES_PORT: port(5432),
  REDIS_PORT: port(6379),
  KAFKA_PORT: port(9092),
  KAFKA_CONTROLLER_PORT: port(9093),
  CONNECT_PORT: port(8083),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  API_PORT: port(8080),
  WORKER_METRICS_PORT: port(9464),
  CONSUMERS_METRICS_PORT: port(9465),
  ZIPKIN_PORT: port(9411),
  PROMETHEUS_PORT: port(9090),
});

export type StackPorts = z.infer<typeof portsSchema>;

/** Every local service binds to 127.0.0.1 on a port that the environment may override. */
export function stackPorts(env: NodeJS.ProcessEnv = process.env): StackPorts {
  return portsSchema.parse(env);
}

export const LOOPBACK = '127.0.0.1';
