import { loadConfig, type AppConfig } from '../../lib/config';

/** The running stack's settings, from the environment `bin/trackops test` passes (or the defaults). */
export const stackConfig: AppConfig = loadConfig(process.env);

export const uniqueSuffix = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
