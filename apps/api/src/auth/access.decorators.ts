/**
 * Access is declared on every controller or route, and read by one guard.
 * A route with neither `@Public()` nor `@Authenticated()` is refused: forgetting
 * to declare access fails closed.
 */
import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { TenantRole } from '@gatehouse/tiers';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ACCESS_EXTENSION, BEARER_SCHEME, type DocumentedAccess } from '../common/openapi/openapi-document.js';

export const ACCESS_METADATA = 'gatehouse:access';

export type TokenUse = 'access' | 'id';
export type AccessRole = TenantRole | 'platform-admin';

export type AccessPolicy =
  | { readonly kind: 'public' }
  | {
      readonly kind: 'authenticated';
      /** Any of these roles is enough; empty means any signed-in user of the tenant. */
      readonly roles: readonly AccessRole[];
      /** Which Cognito token the route accepts; access tokens unless a route says otherwise. */
      readonly tokenUse: TokenUse;
      /** Reachable by a user who must still enrol TOTP (their tenant requires MFA): the enrolment routes. */
      readonly duringMfaEnrollment: boolean;
    };

/** Any route, whatever its access, refuses malformed input before its handler runs. */
const BAD_INPUT =
  '`validation_failed` (with `errors`), `malformed_json`, `malformed_url` or `bad_request`: the input does not match this operation (NUL characters and broken encodings included).';

/** No token needed (health, public routing, sign-in). The OpenAPI document gives these routes `security: []`. */
export const Public = () =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, { kind: 'public' } satisfies AccessPolicy),
    ApiExtension(ACCESS_EXTENSION, { public: true } satisfies DocumentedAccess),
    ApiProblemResponse(400, BAD_INPUT),
  );

export interface AuthenticatedOptions {
  readonly roles?: readonly AccessRole[];
  readonly tokenUse?: TokenUse;
  readonly duringMfaEnrollment?: boolean;
}

/** A verified token and, when `roles` is given, one of those roles. */
export const Authenticated = (options: AuthenticatedOptions = {}) =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, {
      kind: 'authenticated',
      roles: options.roles ?? [],
      tokenUse: options.tokenUse ?? 'access',
      duringMfaEnrollment: options.duringMfaEnrollment ?? false,
    } satisfies AccessPolicy),
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension(ACCESS_EXTENSION, {
      public: false,
      roles: options.roles ?? [],
      duringMfaEnrollment: options.duringMfaEnrollment ?? false,
    } satisfies DocumentedAccess),
    ApiProblemResponse(400, BAD_INPUT),
    ApiProblemResponse(
      401,
      'No usable token: `token_missing`, `invalid_token`, `token_expired`, `untrusted_issuer`, `wrong_token_use` (an ID token: send the access token), …',
    ),
    ApiProblemResponse(403, 'Known caller, refused: `tenant_mismatch`, `insufficient_role`, `tenant_suspended`, `user_disabled`, `mfa_enrollment_required`, …'),
    ApiProblemResponse(503, '`database_unavailable`, `identity_provider_unavailable`, `signing_key_unavailable`, …: a dependency is not answering; retry after `Retry-After` seconds.'),
  );
