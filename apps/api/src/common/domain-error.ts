/**
 * Base of every error Gatehouse raises on purpose. Each has a stable `code`
 * (clients switch on it), an HTTP status and a safe `detail`: the one place
 * that turns them into responses is {@link ProblemDetailsFilter}.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Extra members for the problem document (never secrets, never other tenants' data). */
  readonly extensions: Readonly<Record<string, unknown>> = {};
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Readonly<Record<string, string>> = {};

  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export class ValidationFailedError extends DomainError {
  readonly code = 'validation_failed';
  readonly status = 400;
  override readonly extensions: { errors: readonly FieldProblem[] };
  constructor(errors: readonly FieldProblem[], detail = 'The request is not valid.') {
    super(detail);
    this.extensions = { errors };
  }
}

export class NotFoundError extends DomainError {
  readonly code: string;
  readonly status = 404;
  constructor(what = 'resource', code = 'not_found') {
    super(`The ${what} does not exist.`);
    this.code = code;
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
  constructor(
    readonly code: string,
    detail: string,
    retryAfterSeconds?: number,
  ) {
    super(detail);
    if (retryAfterSeconds !== undefined) (this as { headers: Record<string, string> }).headers = { 'retry-after': String(retryAfterSeconds) };
  }
}

export class MissingTenantContextError extends DomainError {
  readonly code = 'tenant_context_missing';
  readonly status = 403;
  constructor() {
    super('This operation needs a verified tenant context.');
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'unsupported_media_type';
  readonly status = 415;
  constructor() {
    super('Send the request body as application/json.');
  }
}
