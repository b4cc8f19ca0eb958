/** Every refusal the API answers is RFC 9457 problem+json with a stable `code`; this carries it to the caller. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly requestId?: string;
  /** Extension members, e.g. a fresh challenge `session` after a wrong code. */
  readonly [member: string]: unknown;
}

export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';

  constructor(
    readonly problem: Problem,
    /** Seconds from a `Retry-After` header (429, 503), when the API sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(problem.detail ?? problem.title ?? problem.code);
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

/** The SSO redirect came back wrong: an error from the IdP, a state that is not ours, or a failed code exchange. */
export class SsoError extends Error {
  override readonly name = 'SsoError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
