import type { PgTarget } from './datasource';

/** An error the CLI understands: it branches on some codes (P1003 makes `migrate dev` create the database). */
export class KnownEngineError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'KnownEngineError';
  }
}

interface PgLikeError {
  code?: string;
  message?: string;
}

/** Connection failures phrased and coded as the native engine does, so the CLI reacts the same way. */
export function connectionError(error: unknown, target: PgTarget): Error {
  if (error instanceof KnownEngineError) return error;
  const { code, message } = (error ?? {}) as PgLikeError;
  switch (code) {
    case '3D000':
      return new KnownEngineError(
        'P1003',
        `Database \`${target.database}\` does not exist on the database server at \`${target.location}\`.`,
      );
    case '28P01':
    case '28000':
      return new KnownEngineError(
        'P1000',
        `Authentication failed against database server, the provided database credentials for \`${target.user}\` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at \`${target.location}\`.`,
      );
    case '42501':
      return new KnownEngineError(
        'P1010',
        `User \`${target.user}\` was denied access on the database \`${target.database}\``,
      );
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ECONNRESET':
      return new KnownEngineError(
        'P1001',
        `Can't reach database server at \`${target.location}\`\n\nPlease make sure your database server is running at \`${target.location}\`.`,
      );
    case 'ETIMEDOUT':
      return new KnownEngineError(
        'P1002',
        `The database server at \`${target.location}\` was reached but timed out.`,
      );
    default:
      return new Error(message ?? String(error));
  }
}

/**
 * One line of the native engine's JSON log format. The CLI reads these from stderr: ERROR lines
 * from `schema_engine::logger` carry the code and message it reports to the user.
 */
export function logLine(level: 'INFO' | 'ERROR', message: string, errorCode?: string): string {
  const fields: Record<string, string> = { message };
  if (errorCode !== undefined) fields.error_code = errorCode;
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    level,
    fields,
    target: 'schema_engine::logger',
  });
}

export function errorFields(error: unknown): { message: string; errorCode?: string } {
  if (error instanceof KnownEngineError) return { message: error.message, errorCode: error.errorCode };
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}
