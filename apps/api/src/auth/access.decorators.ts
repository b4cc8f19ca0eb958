/**
 * Access is declared on every controller or route, and read by one guard.
 * A route with neither `@Public()` nor `@Authenticated()` is refused: forgetting
 * to declare access fails closed.
 */
import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { TenantRole } from '@gatehouse/tiers';

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

/** No token needed (health, public routing, sign-in). */
export const Public = () => SetMetadata(ACCESS_METADATA, { kind: 'public' } satisfies AccessPolicy);

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
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'problem+json: missing, malformed, expired or untrusted token' }),
    ApiForbiddenResponse({ description: 'problem+json: wrong tenant, role, or a suspended tenant / disabled user' }),
  );
