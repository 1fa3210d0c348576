import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/index.ts';

export type { Logger };

// Keys that may carry secrets anywhere in a log record, at the top level or one
// object deep (pino's redaction works on paths, not deep search).
const SECRET_KEYS = ['password', 'passphrase', 'token', 'secret', 'privateKey', 'private_key', 'authorization', 'cookie', 'credential', 'credentials'];
export const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

/** JSON lines on stdout (or the given stream); services take child loggers with `svc`. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
