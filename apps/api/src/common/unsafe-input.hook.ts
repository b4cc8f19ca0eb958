/**
 * A Fastify `preValidation` hook (after body parsing, before guards and
 * handlers) that refuses request input no handler should ever see: NUL
 * characters and unpaired surrogates in the body, the query or a path
 * parameter (400 `validation_failed` naming the field), and query strings with
 * broken percent-encoding (400 `malformed_url`).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { DomainError, ValidationFailedError } from './domain-error.js';
import { findUnsafeText, isWellEncodedQuery } from './unsafe-text.js';

export class MalformedUrlError extends DomainError {
  readonly code = 'malformed_url';
  readonly status = 400;
  constructor() {
    super('The URL is not correctly percent-encoded UTF-8.');
  }
}

const UNSAFE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** The hook, callback style: it is synchronous, and an async hook costs every request a promise or two. */
export function refuseUnsafeInput(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  try {
    checkInput(request);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
}

function checkInput(request: FastifyRequest): void {
  const rawUrl = request.raw.url ?? '';
  const queryStart = rawUrl.indexOf('?');
  if (queryStart >= 0 && !isWellEncodedQuery(rawUrl.slice(queryStart + 1))) throw new MalformedUrlError();
  for (const [part, value] of [
    ['params', request.params],
    ['query', request.query],
    ['body', request.body],
  ] as const) {
    const path = findUnsafeText(value);
    if (path !== undefined) throw new ValidationFailedError([{ path: path ? `${part}.${path}` : part, message: UNSAFE_MESSAGE }]);
  }
}
