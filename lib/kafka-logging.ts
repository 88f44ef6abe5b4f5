import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger';

/**
 * kafkajs's own log lines through the process's pino logger, so they are JSON of the same shape as
 * every other line (level, time, service, and the trace, span and request ids when written while a
 * message is handled) instead of kafkajs's default format.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const line = { kafkaNamespace: namespace, ...fields };
      switch (level) {
        case logLevel.ERROR:
          kafkaLogger.error(line, message);
          break;
        case logLevel.WARN:
          kafkaLogger.warn(line, message);
          break;
        case logLevel.INFO:
          kafkaLogger.info(line, message);
          break;
        default:
          kafkaLogger.debug(line, message);
      }
    };
}
