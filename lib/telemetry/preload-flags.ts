import path from 'node:path';

/** The OTel SDK's entry point, loaded before the app (preload.cjs, which loads preload.ts). */
export const TELEMETRY_PRELOAD = path.join(__dirname, 'preload.cjs');

/**
 * How every TrackOps process is started: the OTel SDK first (Node runs --require before --import),
 * then TypeScript through tsx for the entry point.
 */
export const APP_PRELOAD_FLAGS: readonly string[] = ['--require', TELEMETRY_PRELOAD, '--import', 'tsx'];
