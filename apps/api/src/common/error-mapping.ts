/**
 * Turns anything thrown while serving a request into a problem document.
 * Known errors keep their status and stable code; anything else becomes a
 * plain 500 whose detail says nothing about the internals (the log has them).
 */
import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable } from './database-errors.js';
import { DomainError } from './domain-error.js';
import { type ProblemDocument, problem } from './problem-details.js';

export interface MappedError {
  readonly problem: ProblemDocument;
  readonly headers: Readonly<Record<string, string>>;
  /** True when the error was not anticipated and must be logged with its stack. */
  readonly unexpected: boolean;
  /** An anticipated outage worth one concise log line (no stack), e.g. the database being down. */
  readonly notice?: string;
}

/** Seconds a client should wait after the database was unavailable: a restart or failover takes a few. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** Fastify's own errors (body parsing, limits, media types) by their `code`. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string; detail: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'Send the request body as application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', detail: 'Content-Length does not match the body.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The request body is not valid JSON.' },
  // Raised by Fastify's router before any hook runs (answered through `frameworkErrors`, see app.factory.ts).
  FST_ERR_BAD_URL: { status: 400, code: 'malformed_url', detail: 'The URL is not correctly percent-encoded UTF-8.' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', detail: 'A path segment is longer than this API accepts.' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request', detail: 'The request could not be routed.' },
};

const CODES_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

export function mapError(error: unknown, instance: string, requestId: string | undefined): MappedError {
  const extras = { instance, requestId };

  if (error instanceof DomainError) {
    return {
      problem: problem(error.status, error.code, error.detail, { ...extras, extensions: error.extensions }),
      headers: error.headers,
      unexpected: false,
    };
  }

  // Nest wraps Fastify's own 4xx errors (body parsing, limits) in an HttpException; map the original.
  if (error instanceof HttpException && error.cause && isFastifyClientError(error.cause)) {
    return mapError(error.cause, instance, requestId);
  }

  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status >= 500) return internal(extras);
    const routeMissing = status === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)/.test(error.message);
    const code = routeMissing ? 'route_not_found' : (CODES_BY_STATUS[status] ?? 'bad_request');
    const detail = routeMissing ? 'No route matches this method and path.' : safeDetail(error);
    return { problem: problem(status, code, detail, extras), headers: {}, unexpected: false };
  }

  const fastify = error as { code?: unknown; statusCode?: unknown } | null;
  if (fastify && typeof fastify.code === 'string' && FASTIFY_CODES[fastify.code]) {
    const known = FASTIFY_CODES[fastify.code]!;
    return { problem: problem(known.status, known.code, known.detail, extras), headers: {}, unexpected: false };
  }
  if (error instanceof SyntaxError && fastify && fastify.statusCode === 400) {
    return {
      problem: problem(400, 'malformed_json', 'The request body is not valid JSON.', extras),
      headers: {},
      unexpected: false,
    };
  }
  if (fastify && typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const status = fastify.statusCode;
    return {
      problem: problem(status, CODES_BY_STATUS[status] ?? 'bad_request', 'The request could not be processed.', extras),
      headers: {},
      unexpected: false,
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      problem: problem(503, 'database_unavailable', 'The database is unavailable; try again shortly.', extras),
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      unexpected: false,
      notice: `database unavailable: ${summaryOf(error)}`,
    };
  }
  return internal(extras);
}

/** The last non-empty line of the message: Prisma puts the invocation first and the cause last. */
function summaryOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').map((line) => line.trim()).filter((line) => line !== '').at(-1)?.slice(0, 300) ?? 'unknown error';
}

function isFastifyClientError(error: unknown): boolean {
  const candidate = error as { code?: unknown; statusCode?: unknown };
  return (
    (typeof candidate.code === 'string' && candidate.code in FASTIFY_CODES) ||
    (typeof candidate.statusCode === 'number' && candidate.statusCode >= 400 && candidate.statusCode < 500)
  );
}

function internal(extras: { instance: string; requestId: string | undefined }): MappedError {
  return {
    problem: problem(500, 'internal_error', 'An unexpected error occurred. Quote the request id when reporting it.', extras),
    headers: {},
    unexpected: true,
  };
}

/** Nest's built-in exceptions carry short, safe messages; anything structured is dropped. */
function safeDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return typeof message === 'string' ? message : error.message;
}
