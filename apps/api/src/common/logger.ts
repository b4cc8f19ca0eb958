/**
 * Structured JSON logs (pino). Fastify logs each request with its id; Nest's
 * own logs go through {@link PinoNestLogger} so everything is one JSON stream.
 * The request id comes from the AsyncLocalStorage context when there is one.
 */
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { currentRequestId } from '../tenancy/request-context.js';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'gatehouse-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Credentials never reach the log, whoever logs the request.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken'],
      censor: '[redacted]',
    },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
  });
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
