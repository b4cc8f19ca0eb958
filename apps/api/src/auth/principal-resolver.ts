/**
 * Turns the claims of a token TokenVerifier has verified (signature, issuer,
 * expiry and not-before, and no text Gatehouse refuses in any claim) into a
 * principal: a tenant user ({@link AuthContext}) or a platform operator.
 * Tenant resolution uses verified facts only:
 *
 * | issuer kind                | tenant from                                          |
 * |----------------------------|------------------------------------------------------|
 * | silo pool                  | the issuer (and the client must be the tenant's)     |
 * | bridge tier pool           | the verified `client_id` / `aud`                     |
 * | pool tier pool             | the verified `(iss, sub)` → user row → tenant         |
 * | tenant's own OIDC provider | the issuer (and `aud` must be the registered one)    |
 *
 * Then: the route hint must agree, the tenant must be active, the user
 * enabled; roles come from the token's groups, capped by the role Gatehouse
 * holds for the user so a demotion takes effect at once.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { PLATFORM_ADMIN_ROLE, TENANT_ROLES, type TenantRole } from '@gatehouse/tiers';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { type RouteHintInput, resolveRouteHint } from '../tenancy/route-hint.js';
import type { AuthContext, OperatorContext } from '../tenancy/request-context.js';
import { type DirectoryUser, IdentityConflictError, TenantUserDirectory } from '../tenants/tenant-user-directory.js';
import type { TokenUse } from './access.decorators.js';
import { ForbiddenError, UnauthenticatedError } from './auth.errors.js';
import type { CognitoIssuer, ExternalIssuer, TenantSnapshot } from './issuer-registry.js';
import { TrustedIssuersService } from './trusted-issuers.service.js';
import { IdentityProvider } from '../identity/identity-provider.js';
import { DeferredUsers } from '../tenants/tier-move/deferred-users.js';
import { federatedProviderOfUsername, identitiesListProvider, mayRebindFederatedUser } from './federated-user.js';

export type Claims = Readonly<Record<string, unknown>>;

export type Principal =
  | {
      readonly kind: 'tenant';
      readonly context: AuthContext;
      /**
       * The tenant requires MFA, Gatehouse enforces it (shared pools), and this user has not enrolled:
       * the guard lets such a user reach only the routes that enrol.
       */
      readonly mfaEnrollmentPending: boolean;
    }
  | { readonly kind: 'operator'; readonly context: OperatorContext };

/** A Cognito issuer whose users belong to tenants (a tier pool or a silo pool; not the operators' pool). */
type TenantCognitoIssuer = CognitoIssuer & { readonly pool: Exclude<CognitoIssuer['pool'], { kind: 'operators' }> };

const ROLE_RANK: Readonly<Record<TenantRole, number>> = { admin: 3, member: 2, viewer: 1 };

/** Tenant roles in the token, highest first, none above the role Gatehouse holds for the user. */
export function effectiveRoles(tokenGroups: readonly string[], storedRole: TenantRole): TenantRole[] {
  const cap = ROLE_RANK[storedRole];
  const fromToken = TENANT_ROLES.filter((role) => tokenGroups.includes(role) && ROLE_RANK[role] <= cap);
  return fromToken.length > 0 ? fromToken : [storedRole];
}

function stringClaim(claims: Claims, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const isString = (item: unknown): item is string => typeof item === 'string';

/** The claim's strings (others dropped); the claim's own array when all of it is strings, as groups always are. */
function stringListClaim(claims: Claims, name: string): readonly string[] {
  const value = claims[name];
  if (Array.isArray(value)) return value.every(isString) ? value : value.filter(isString);
  return typeof value === 'string' ? [value] : [];
}

@Injectable()
export class PrincipalResolver {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly issuers: TrustedIssuersService,
    private readonly users: TenantUserDirectory,
    /** Absent (some unit specs): federated users are refused, which fails closed. */
    @Optional() private readonly identity?: IdentityProvider,
    /** Absent (some unit specs): accounts made by a tier move's user-migration trigger stay unknown, which fails closed. */
    @Optional() private readonly deferredUsers?: DeferredUsers,
  ) {}

  async resolve(claims: Claims, tokenUse: TokenUse, route: RouteHintInput): Promise<Principal> {
    return await this.resolveNow(claims, tokenUse, route);
  }

  /**
   * {@link resolve} without a promise where none is needed: the principal at once
   * when the user is in the directory's cache (every request but a user's first on
   * this replica), a promise only when Postgres must be asked. Throws synchronously.
   * The guard calls this: it runs on every request.
   */
  resolveNow(claims: Claims, tokenUse: TokenUse, route: RouteHintInput): Principal | Promise<Principal> {
    const iss = stringClaim(claims, 'iss');
    const sub = stringClaim(claims, 'sub');
    const issuer = iss ? this.issuers.registry.issuer(iss) : undefined;
    // The key came from this issuer's JWKS, so `iss` is verified; this re-check guards a registry change mid-request.
    if (!issuer || !sub) throw new UnauthenticatedError('untrusted_issuer', 'The token was not issued by a trusted issuer.');
    return issuer.kind === 'cognito'
      ? this.resolveCognito(issuer, claims, sub, tokenUse, route)
      : this.resolveExternal(issuer, claims, sub, route);
  }

  private resolveCognito(
    issuer: CognitoIssuer,
    claims: Claims,
    sub: string,
    tokenUse: TokenUse,
    route: RouteHintInput,
  ): Principal | Promise<Principal> {
    const actualUse = stringClaim(claims, 'token_use');
    if (actualUse !== tokenUse) {
      throw new UnauthenticatedError('wrong_token_use', `This route needs an ${tokenUse} token.`);
    }
    // Access tokens name their client in `client_id`; ID tokens in `aud`.
    const clientId = tokenUse === 'access' ? stringClaim(claims, 'client_id') : stringClaim(claims, 'aud');
    if (!clientId || !issuer.clients.has(clientId)) {
      throw new UnauthenticatedError('unknown_client', 'The token was issued to an app client Gatehouse does not accept.');
    }
    const groups = stringListClaim(claims, 'cognito:groups');

    if (issuer.pool.kind === 'operators') {
      const username = stringClaim(claims, tokenUse === 'access' ? 'username' : 'cognito:username') ?? sub;
      // platform-admin comes only from the operators' pool, and only from its group.
      return {
        kind: 'operator',
        context: {
          subject: sub,
          username,
          issuer: issuer.issuer,
          roles: groups.includes(PLATFORM_ADMIN_ROLE) ? [PLATFORM_ADMIN_ROLE] : [],
        },
      };
    }

    // Every Cognito user is created by Gatehouse (sign-up, invitation, provisioning), so one it does not
    // know is refused — in shared pools because they serve many tenants, and in silo pools because a
    // user an admin removed must not come back from a token issued before the removal.
    const tenantIssuer = issuer as TenantCognitoIssuer;
    const cached = this.users.cachedByIssuerSubject(issuer.issuer, sub);
    if (cached) return this.cognitoUserPrincipal(tenantIssuer, claims, clientId, groups, sub, route, cached);
    return this.users
      .findByIssuerSubject(issuer.issuer, sub)
      .then(async (user) => {
        // On a miss, only two kinds of Cognito users become known: users Cognito created through federation
        // (SAML, OIDC, social), and a tier move's deferred users whose account the user-migration trigger had
        // Cognito create (bound on their first token; see tenants/tier-move/deferred-users.ts).
        const username = stringClaim(claims, tokenUse === 'access' ? 'username' : 'cognito:username');
        const known =
          user ??
          (username
            ? ((await this.mirrorFederatedUser(tenantIssuer, clientId, username, sub)) ?? (await this.bindMigratedAccount(tenantIssuer, clientId, username, sub)))
            : undefined);
        return this.cognitoUserPrincipal(tenantIssuer, claims, clientId, groups, sub, route, known);
      });
  }

  /** The rest of {@link resolveCognito}, once the user row is known (or known to be absent). */
  private cognitoUserPrincipal(
    issuer: TenantCognitoIssuer,
    claims: Claims,
    clientId: string,
    groups: readonly string[],
    sub: string,
    route: RouteHintInput,
    user: DirectoryUser | undefined,
  ): Principal | Promise<Principal> {
    if (!user) throw new UnauthenticatedError('unknown_user', 'The token names a user Gatehouse does not know.');
    let tenantId: string;
    if (issuer.pool.kind === 'silo') {
      tenantId = issuer.pool.tenantId;
    } else if (issuer.pool.model === 'bridge') {
      tenantId = issuer.clients.get(clientId) ?? '';
    } else {
      // Pool model: the user row is the only verified link to a tenant.
      tenantId = user.tenantId;
      const claimed = stringClaim(claims, 'custom:tenantId');
      if (claimed !== undefined && claimed !== tenantId) {
        throw new ForbiddenError('tenant_mismatch', "The token's tenant does not match its user's tenant.");
      }
    }
    const tenant = this.activeTenant(tenantId);
    // A shared-pool user can sign in through another tenant's client: the client's tenant must be the user's.
    if (user.tenantId !== tenant.id) {
      throw new ForbiddenError('tenant_mismatch', 'The user does not belong to the tenant of this token.');
    }
    // Silo pools carry the policy in Cognito itself (MFA ON); tenants' own IdPs answer for their own MFA.
    const enforcedByGatehouse = issuer.pool.kind === 'tier';
    const mfaEnrollmentPending = enforcedByGatehouse && tenant.mfaPolicy === 'required' && !user.mfaEnrolled;
    const principal = this.tenantPrincipal(tenant, user, groups, issuer.issuer, sub, route, mfaEnrollmentPending);
    // A first sign-in made directly at Cognito: the mirror catches up on the first accepted request, once.
    if (user.status === 'pending') return this.users.confirmPendingOnFirstRequest(issuer.issuer, sub, user).then(() => principal);
    return principal;
  }

  private async resolveExternal(issuer: ExternalIssuer, claims: Claims, sub: string, route: RouteHintInput): Promise<Principal> {
    const audiences = stringListClaim(claims, 'aud');
    if (!audiences.includes(issuer.audience)) {
      throw new UnauthenticatedError('unknown_client', 'The token was not issued for this tenant’s registered audience.');
    }
    const tenant = this.activeTenant(issuer.tenantId);
    const mapping = issuer.claimMapping;
    const idpGroups = stringListClaim(claims, mapping.groups ?? 'groups');
    const roleMap = mapping.roleMap ?? {};
    const groups = idpGroups.map((group) => roleMap[group]).filter((role): role is TenantRole => role !== undefined);
    const user =
      (await this.users.findByIssuerSubject(issuer.issuer, sub)) ??
      (await this.justInTime(tenant, issuer.issuer, sub, claims, mapping.email ?? 'email', groups, mapping.defaultRole));
    if (user.tenantId !== tenant.id) {
      throw new ForbiddenError('tenant_mismatch', 'The user does not belong to the tenant of this token.');
    }
    return this.tenantPrincipal(tenant, user, groups, issuer.issuer, sub, route);
  }

  /**
   * A user Cognito created through federation (SAML, OIDC, social), on its first token: mirrored into the
   * tenant of the VERIFIED client (bridge) or pool (silo) with its provider's default role. Never in the pool
   * model, never for a provider the tenant does not have, never without Cognito's own record of the user
   * (AdminGetUser, not the token) naming that provider; otherwise undefined, which stays 401 `unknown_user`.
   * After a tier move the tenant's existing row for that username is re-bound instead (mayRebindFederatedUser).
   * A user removed or disabled in Cognito by Gatehouse is not found there, so it does not come back.
   */
  private async mirrorFederatedUser(issuer: TenantCognitoIssuer, clientId: string, username: string, sub: string): Promise<DirectoryUser | undefined> {
    if (!this.identity) return undefined;
    let tenantId: string | null | undefined;
    let pool: { userPoolId: string; region: string } | undefined;
    if (issuer.pool.kind === 'silo') {
      tenantId = issuer.pool.tenantId;
      const silo = this.issuers.registry.tenant(tenantId);
      pool = silo?.userPoolId ? { userPoolId: silo.userPoolId, region: silo.region } : undefined;
    } else if (issuer.pool.kind === 'tier' && issuer.pool.model === 'bridge') {
      tenantId = issuer.clients.get(clientId);
      pool = this.config.sharedPools.get(issuer.pool.tier);
    } else {
      return undefined;
    }
    const tenant = tenantId ? this.issuers.registry.tenant(tenantId) : undefined;
    if (!tenant || !pool || tenant.model === 'pool') return undefined;
    const provider = federatedProviderOfUsername(tenant, username);
    if (!provider) return undefined;
    const record = await this.identity.getUser({ userPoolId: pool.userPoolId, region: pool.region }, username);
    if (!record || record.sub !== sub || !record.enabled || !identitiesListProvider(record.attributes['identities'], provider.name)) return undefined;
    // The tenant moved between tiers since this user's last sign-in: the same federated user, re-created by Cognito in the new pool.
    if (mayRebindFederatedUser(tenant, issuer)) {
      const rebound = await this.users.rebindFederatedUser({ tenantId: tenant.id, username, issuer: issuer.issuer, subject: sub });
      if (rebound) return rebound;
    }
    if (!record.email || !/^[^@\s]+@[^@\s]+$/.test(record.email)) {
      throw new UnauthenticatedError('unknown_user', 'The identity provider gave no e-mail address to create the user from.');
    }
    try {
      return await this.users.provisionJustInTime({
        tenantId: tenant.id,
        issuer: issuer.issuer,
        subject: sub,
        username,
        email: record.email,
        emailVerified: record.emailVerified,
        role: provider.defaultRole,
      });
    } catch (error) {
      if (error instanceof IdentityConflictError) {
        throw new ForbiddenError('tenant_mismatch', 'This e-mail already belongs to another identity in the tenant.');
      }
      throw error;
    }
  }

  /** A tier move's deferred user's first token from the account Cognito made for it (user-migration trigger): bound, then found like any user. */
  private async bindMigratedAccount(issuer: TenantCognitoIssuer, clientId: string, username: string, sub: string): Promise<DirectoryUser | undefined> {
    if (!this.deferredUsers) return undefined;
    const bound = await this.deferredUsers.bindCreatedByCognito(issuer.issuer, clientId, username, sub);
    return bound ? this.users.findByIssuerSubject(issuer.issuer, sub) : undefined;
  }

  private activeTenant(tenantId: string): TenantSnapshot {
    const tenant = this.issuers.registry.tenant(tenantId);
    if (!tenant) throw new UnauthenticatedError('untrusted_issuer', 'The token’s tenant is not served here.');
    if (tenant.status === 'suspended') throw new ForbiddenError('tenant_suspended', 'This tenant is suspended.');
    return tenant;
  }

  private async justInTime(
    tenant: TenantSnapshot,
    issuer: string,
    subject: string,
    claims: Claims,
    emailClaim: string,
    groups: readonly string[],
    defaultRole: TenantRole = 'member',
  ): Promise<DirectoryUser> {
    const email = stringClaim(claims, emailClaim);
    if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
      throw new UnauthenticatedError('unknown_user', 'The token carries no e-mail address to create the user from.');
    }
    const role = TENANT_ROLES.find((candidate) => groups.includes(candidate)) ?? defaultRole;
    try {
      return await this.users.provisionJustInTime({
        tenantId: tenant.id,
        issuer,
        subject,
        // An external IdP's subject is the only stable name Gatehouse has for the user.
        username: subject,
        email,
        emailVerified: claims['email_verified'] === true || claims['email_verified'] === 'true',
        role,
      });
    } catch (error) {
      if (error instanceof IdentityConflictError) {
        throw new ForbiddenError('tenant_mismatch', 'This e-mail already belongs to another identity in the tenant.');
      }
      throw error;
    }
  }

  private tenantPrincipal(
    tenant: TenantSnapshot,
    user: DirectoryUser,
    groups: readonly string[],
    issuer: string,
    subject: string,
    route: RouteHintInput,
    mfaEnrollmentPending = false,
  ): Principal & { kind: 'tenant' } {
    const hint = resolveRouteHint(route, this.issuers.registry, this.config.env.PUBLIC_BASE_DOMAIN);
    if (hint.kind === 'unmatched' || (hint.kind === 'tenant' && hint.tenant.id !== tenant.id)) {
      throw new ForbiddenError('tenant_mismatch', 'The token belongs to a different tenant than this route.');
    }
    if (user.status === 'disabled') throw new ForbiddenError('user_disabled', 'This user is disabled.');
    return {
      kind: 'tenant',
      mfaEnrollmentPending,
      context: {
        tenantId: tenant.id,
        tenantSlug: tenant.slug,
        userId: user.id,
        roles: effectiveRoles(groups, user.role),
        tier: tenant.tier,
        issuer,
        subject,
      },
    };
  }
}
