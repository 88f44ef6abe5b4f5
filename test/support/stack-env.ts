import { createStackContext } from '../../deploy/stack/context';
import { appEnvironment } from '../../deploy/stack/components/app-process';
import { loadConfig, type AppConfig } from '../../lib/config';

/**
 * The running stack's settings. Derived from the stack's ports the way the stack derives its app
 * processes' environment, so a second stack (own TRACKOPS_HOME and *_PORT variables) is reached on
 * its own ports; URLs set explicitly (as `bin/trackops test` does) still win.
 */
export const stackConfig: AppConfig = loadConfig(appEnvironment(createStackContext(process.env, true)));

export const uniqueSuffix = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
