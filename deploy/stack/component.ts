import type { StackPaths } from './paths';
import type { StackPorts } from './ports';

export type ComponentName =
  | 'postgres'
  | 'redis'
  | 'kafka'
  | 'connect'
  | 'temporal'
  | 'zipkin'
  | 'prometheus'
  | 'worker'
  | 'api'
  | 'consumers';

export interface StackContext {
  paths: StackPaths;
  ports: StackPorts;
  env: NodeJS.ProcessEnv;
  /** Progress for the person watching; one line per call. */
  progress: (component: ComponentName, message: string) => void;
}

export interface ComponentStatus {
  name: ComponentName;
  port: number;
  pid?: number;
  healthy: boolean;
  detail?: string;
  /** A scaled-out app process's instances (`stack up --scale`), the first one included. */
  instances?: InstanceStatus[];
}

export interface InstanceStatus {
  /** `api`, `api-2`, ... */
  name: string;
  port: number;
  pid?: number;
  healthy: boolean;
}

/**
 * One server of the local stack. Every method is idempotent: `install` does nothing when the
 * software is there, `start` does nothing when the server is already healthy.
 */
export interface Component {
  readonly name: ComponentName;
  /** Components that must be healthy before this one starts. */
  readonly dependsOn: readonly ComponentName[];
  /** How long a cold start may take before `up` gives up on this component. */
  readonly startTimeoutMs: number;
  port(ctx: StackContext): number;
  logFile(ctx: StackContext): string;
  pid(ctx: StackContext): number | undefined;
  install(ctx: StackContext): Promise<void>;
  isHealthy(ctx: StackContext): Promise<boolean>;
  start(ctx: StackContext): Promise<void>;
  /** Work that needs the server up: databases, topics, connectors, search attributes. Idempotent. */
  configure(ctx: StackContext): Promise<void>;
  stop(ctx: StackContext): Promise<void>;
  /** Directories holding this component's data, removed by `stack reset`. */
  dataDirs(ctx: StackContext): string[];
  /**
   * A component of several processes (`stack up --scale`): `start` launches only the missing ones,
   * so `up` calls it whenever the component is not healthy, even while some instance runs.
   */
  instances?(ctx: StackContext): Promise<InstanceStatus[]>;
}
