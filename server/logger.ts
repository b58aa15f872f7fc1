import { pino, type Logger } from 'pino';

/** Paths never written to logs: keys, auth headers and client addresses. */
const REDACT = [
  'writeKey',
  '*.writeKey',
  'secretKey',
  '*.secretKey',
  'ip',
  '*.ip',
  'req.headers.authorization',
  'req.headers["x-forwarded-for"]',
  'headers.authorization',
  'password',
  '*.password',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { app: 'warmline' } });
}

export type { Logger };
