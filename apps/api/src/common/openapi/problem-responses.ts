/**
 * Error responses in the OpenAPI document. Every error the API sends is an RFC 9457
 * problem document (`common/problem-details.ts`); the document says so through one
 * schema, `components.schemas.ProblemDetails`, referenced by every 4xx and 5xx
 * response under `application/problem+json`. Declare error responses with
 * {@link ApiProblemResponse}, never with `@ApiNotFoundResponse` and friends, so a
 * generated client types every error the same way.
 */
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from '../problem-details.js';

export const PROBLEM_DETAILS_SCHEMA_NAME = 'ProblemDetails';
export const PROBLEM_DETAILS_REF = `#/components/schemas/${PROBLEM_DETAILS_SCHEMA_NAME}`;

/** `components.schemas.ProblemDetails`: the shape `problem()` builds (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
export const PROBLEM_DETAILS_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details. Clients switch on `code`; `detail` is for people; quote `requestId` when reporting a problem.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', description: `\`${PROBLEM_TYPE_BASE}<code>\``, examples: [`${PROBLEM_TYPE_BASE}validation_failed`] },
    title: { type: 'string', description: 'The HTTP status phrase.', examples: ['Bad Request'] },
    status: { type: 'integer', minimum: 400, maximum: 599, examples: [400] },
    detail: { type: 'string', description: 'What went wrong, for a person; never secrets, never other tenants’ data.' },
    code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'Stable, machine-readable error code.', examples: ['validation_failed'] },
    instance: { type: 'string', description: 'The request path.' },
    requestId: { type: 'string', description: 'This request’s id (also in the `x-request-id` header).' },
    errors: {
      type: 'array',
      description: '`validation_failed` only: every problem with the input.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string', examples: ['email'] }, message: { type: 'string', examples: ['must be an e-mail address'] } },
      },
    },
    session: { type: 'string', description: '`invalid_code` during a sign-in challenge only: a fresh challenge handle to answer with.' },
  },
  additionalProperties: true,
} as const;

const RETRY_AFTER_HEADER = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
} as const;

/** One problem+json response; 429 and 503 also document `Retry-After`. */
export function problemResponseObject(description: string, status: number): Record<string, unknown> {
  return {
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_DETAILS_REF } } },
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER_HEADER } : {}),
  };
}

/**
 * An error response of a route or controller, as problem+json. Several declarations of
 * one status (say, the access decorator's 403 and a route's own 403) are merged by
 * Nest, their descriptions joined.
 */
export const ApiProblemResponse = (status: number, description: string): MethodDecorator & ClassDecorator =>
  ApiResponse({ status, ...(problemResponseObject(description, status) as { description: string }) });
