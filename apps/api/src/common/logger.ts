/**
 * Structured JSON logs (pino). Fastify logs each request with its id; Nest's
 * own logs go through {@link PinoNestLogger} so everything is one JSON stream.
 * The request id comes from the AsyncLocalStorage context when there is one.
 */
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from '../tenancy/request-context.js';

/** Secrets a request or response can carry, by field name; redacted at the top level and one or two levels down. */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'previousPassword',
  'proposedPassword',
  'code',
  'session',
  'secretCode',
  'refreshToken',
  'accessToken',
  'idToken',
  'token',
  'authorization',
  'cookie',
];

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  ...SECRET_FIELDS.filter((field) => field !== 'code').flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  // `code` is also a problem's error code (kept); only a request body's `code` is a secret.
  'body.code',
  '*.body.code',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'gatehouse-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Credentials, codes and tokens never reach the log, whoever logs the request.
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context }, String(message));
  }
}
