/**
 * The public sign-up / sign-in flows. A front end calls these without knowing
 * Cognito's layout: Gatehouse picks the tenant's pool and app client, maps the
 * tenant's e-mail to the opaque Cognito username (so one address can belong to
 * several tenants of one pool), and enforces what the emulator (or a
 * misconfigured pool) would not: the tenant's password policy, suspended
 * tenants, disabled users, throttling, and one answer for "no such user" and
 * "wrong password".
 */
import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { type TenantRole, deriveSignInUsername } from '@gatehouse/tiers';
import { ForbiddenError } from '../auth/auth.errors.js';
import { decodeUnverifiedPayload } from '../auth/bearer-token.js';
import { PrincipalResolver } from '../auth/principal-resolver.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { DomainError } from '../common/domain-error.js';
import type { RouteHintInput } from '../tenancy/route-hint.js';
import { DeferredUsers } from '../tenants/tier-move/deferred-users.js';
import { MoveIdentities } from '../tenants/tier-move/move-identities.js';
import type { SignInFailureReason } from '../events/event-catalog.js';
import { type MirroredUser, UserMirror } from '../tenants/user-mirror.js';
import { RateLimits } from '../rate-limits/rate-limits.service.js';
import { SynchronousHooks } from '../events/hooks/synchronous-hooks.service.js';
import type { HookTenant } from '../events/hooks/hook-contract.js';
import { invalidChallenge } from './challenges/challenge-handle.js';
import { type ReleaseHook, type SignInParty, type SignInResult, SignInSteps } from './challenges/sign-in-steps.js';
import { type AuthOutcome, type ChallengeName, type ClientRef, IdentityProvider, type TokenSet } from './identity-provider.js';
import { invalidCode, invalidCredentials, invalidRefreshToken, signInDenied, signUpDenied, signUpNotAllowed } from './identity.errors.js';
import { assertPasswordMeetsPolicy } from './password-policy.js';
import { type MoveSides, PasswordMigration } from './password-migration.js';
import { admitSignUp } from './sign-up-policy.js';
import { type TenantIdentity, TenantIdentityResolver } from './tenant-identity.js';
import { userContext } from './user-context.js';

function hookTenant(target: TenantIdentity): HookTenant {
  return { id: target.tenant.id, slug: target.tenant.slug, tier: target.tenant.tier };
}

/** The tenant's Gatehouse client, carrying the end user's context for Cognito's threat protection. */
function via(target: TenantIdentity, request: PublicRequest): ClientRef {
  return { ...target.client, userContext: userContext(request.clientAddress, request.deviceData) };
}

export interface PublicRequest {
  readonly route: RouteHintInput;
  readonly clientAddress: string;
  /** Cognito's encoded device data from the front end, forwarded to threat protection. */
  readonly deviceData?: string;
}

export type { SignInResult };

/** Where a sign-in completes (a tier move may move it to the target), and whether the user must enrol TOTP again there. */
interface MoveSignIn {
  readonly serving: TenantIdentity;
  readonly hadTotp: boolean;
  readonly outcome?: AuthOutcome;
}

/** How long a sign-up claim may stay unfinished before another sign-up of the address may clean it up (well above Cognito's retries and timeouts). */
const ABANDONED_CLAIM_MS = 120_000;

/** A username no user has: used so an unknown e-mail costs Cognito a lookup too (similar timing). */
const DECOY_USERNAME_PREFIX = 'gatehouse-no-such-user-';

/** Whose refresh token it is, judged from the access token Cognito issued for it (see `refreshTokenOwnership`). */
type RefreshTokenOwnership =
  | { readonly owner: 'named_tenant'; readonly userId: string }
  | { readonly owner: 'disabled_user_of_named_tenant' }
  | { readonly owner: 'someone_else' };

/** The subject of an access token Cognito has just issued to Gatehouse. */
function decodeSubject(accessToken: string): string | undefined {
  const sub = decodeUnverifiedPayload(accessToken)?.['sub'];
  return typeof sub === 'string' ? sub : undefined;
}

@Injectable()
export class AuthFlowsService {
  private readonly logger = new Logger(AuthFlowsService.name);

  // Per-address, per-tenant and per-user request limits are applied by PublicRateLimitGuard before
  // these flows run; only the sign-in failure count needs the outcome, so it is kept here.
  constructor(
    private readonly identity: IdentityProvider,
    private readonly tenants: TenantIdentityResolver,
    private readonly mirror: UserMirror,
    private readonly verifier: TokenVerifier,
    private readonly principals: PrincipalResolver,
    private readonly limits: RateLimits,
    private readonly steps: SignInSteps,
    private readonly hooks: SynchronousHooks,
    private readonly moveIdentities: MoveIdentities,
    private readonly migration: PasswordMigration,
    private readonly deferredUsers: DeferredUsers,
  ) {}

  /**
   * Sign-up, in this order: the tenant's sign-up policy (from its snapshot
   * only, so a refusal is the same for every address); the password policy;
   * a claim on (tenant, e-mail) in Postgres BEFORE Cognito is called, so of
   * concurrent sign-ups of one address exactly one reaches Cognito; then
   * Cognito. Any failure after the claim removes the Cognito user (deleting
   * is idempotent) and then the claim: no Cognito user is left without its row.
   */
  async signUp(request: PublicRequest, input: { tenant?: string; email: string; password: string }): Promise<void> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    // An invitation-only tier (selfSignUp false): Cognito would refuse too (AllowAdminCreateUserOnly), the emulator would not.
    if (!target.selfSignUp) throw signUpNotAllowed();
    const admission = admitSignUp(target.tenant, input.email);
    if (!admission.admitted) throw signUpNotAllowed();
    assertPasswordMeetsPolicy(input.password, target.passwordPolicy);
    const email = input.email.toLowerCase();
    // The tenant's pre sign-up hook may refuse, or choose member/viewer (never admin: the answer's schema has no such role).
    const hook = await this.hooks.preSignUp(hookTenant(target), email, request.clientAddress);
    if (!hook.allowed) throw signUpDenied(hook.message);
    const claim = await this.claimSignUp(target, email, hook.allowed && hook.role ? hook.role : admission.role);
    // Taken (or being signed up right now): one answer whether or not the address has an account.
    if (!claim) return;
    try {
      // The tenant attributes are written at creation, through the Gatehouse client (the only one allowed to):
      // every user of a shared pool carries its tenant in its tokens, like invited users.
      const created = await this.identity.signUp(via(target, request), {
        username: claim.username,
        password: input.password,
        email,
        tenantAttributes: { 'custom:tenantId': target.tenant.id, 'custom:tenantTier': target.tenant.tier },
      });
      // Without its group the account would sign in with no role.
      await this.identity.addUserToGroup(target.pool, claim.username, claim.role);
      await this.mirror.completeSignUp(target.tenant.id, claim.id, created.sub);
    } catch (error) {
      await this.abandonSignUp(target, claim);
      throw error;
    }
  }

  private async claimSignUp(target: TenantIdentity, email: string, role: TenantRole): Promise<MirroredUser | null> {
    const claim = () => this.mirror.claimSignUp({ tenantId: target.tenant.id, email, username: deriveSignInUsername(target.tenant.id, email), issuer: target.issuer, role });
    const claimed = await claim();
    if (claimed) return claimed;
    // A claim left by a sign-up that died half-way would block the address for good: clean it up, then claim afresh.
    const abandoned = await this.mirror.findAbandonedClaim(target.tenant.id, email, new Date(Date.now() - ABANDONED_CLAIM_MS));
    if (!abandoned || !(await this.abandonSignUp(target, abandoned))) return null;
    return claim();
  }

  /** Cognito user first, then the claim, so a failed clean-up keeps the row that names what is left to remove. */
  private async abandonSignUp(target: TenantIdentity, claim: MirroredUser): Promise<boolean> {
    try {
      await this.identity.deleteUser(target.pool, claim.username);
    } catch (error) {
      this.logger.warn(`could not remove Cognito user ${claim.username} of an unfinished sign-up; its claim stays for a later clean-up: ${String(error)}`);
      return false;
    }
    return this.mirror.releaseClaim(target.tenant.id, claim.id).catch((error: unknown) => {
      this.logger.warn(`could not release the sign-up claim ${claim.id}: ${String(error)}`);
      return false;
    });
  }

  async confirmSignUp(request: PublicRequest, input: { tenant?: string; email: string; code: string }): Promise<void> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    const user = await this.mirror.findByEmail(target.tenant.id, input.email);
    if (!user) throw invalidCode();
    await this.identity.confirmSignUp(via(target, request), user.username, input.code);
    await this.mirror.markConfirmed(target.tenant.id, user.id, { emailVerified: true });
    // A notification: not awaited, so a slow hook never delays the answer (its failures are logged).
    void this.hooks.postConfirmation(hookTenant(target), { id: user.id, email: user.email, role: user.role }, request.clientAddress);
  }

  async resendConfirmationCode(request: PublicRequest, input: { tenant?: string; email: string }): Promise<void> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    const user = await this.mirror.findByEmail(target.tenant.id, input.email);
    if (!user || user.status !== 'pending') return; // same answer for unknown and already-confirmed addresses
    await this.identity.resendConfirmationCode(via(target, request), user.username);
  }

  async signIn(request: PublicRequest, input: { tenant?: string; email: string; password: string }): Promise<SignInResult> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    await this.limits.assertSignInAllowed(target.tenant.id, input.email);

    const user = await this.mirror.findByEmail(target.tenant.id, input.email);
    let outcome: AuthOutcome;
    let served: MoveSignIn = { serving: target, hadTotp: false };
    try {
      const move = user ? await this.moveSides(target, user) : undefined;
      if (move && user) {
        served = await this.signInDuringMove(move, user, request, input.password);
        outcome = served.outcome!;
      } else {
        outcome = await this.identity.signInWithPassword(via(target, request), user?.username ?? `${DECOY_USERNAME_PREFIX}${randomUUID()}`, input.password);
      }
      if (!user) throw invalidCredentials();
    } catch (error) {
      const unconfirmed = user !== null && (error as { code?: string }).code === 'user_not_confirmed';
      const failure = unconfirmed ? this.unconfirmed(target, user) : error;
      if ((failure as { code?: string }).code === 'invalid_credentials') {
        await this.limits.recordSignInFailure(target.tenant.id, input.email);
        // Only a known user has someone to tell; an unknown address is not an account's event.
        if (user) await this.signInFailed(target, user, unconfirmed ? 'user_not_confirmed' : 'invalid_credentials');
      }
      throw failure;
    }
    await this.limits.resetSignInFailures(target.tenant.id, input.email);
    const serving = served.serving;
    // After the password is proven, so the hook is no oracle for which addresses exist or which passwords are right.
    const admitted = await this.hooks.preAuthentication(hookTenant(serving), { id: user.id, email: user.email, role: user.role }, request.clientAddress);
    if (!admitted.allowed) {
      if (outcome.kind === 'tokens' && outcome.tokens.refreshToken) await this.revokeQuietly(serving, outcome.tokens.refreshToken);
      throw signInDenied(admitted.message);
    }
    const party = this.party(serving, user, request);
    // A TOTP user whose password just moved enrols again before any tokens leave (TOTP secrets cannot be exported).
    return this.steps.settle(served.hadTotp ? { ...party, mfaRequired: true } : party, outcome, false, this.releaseHook(serving, user, request));
  }

  /** Where a user of a tenant moving between tiers signs in: the target and the source, once the move recorded the user. */
  private async moveSides(current: TenantIdentity, user: MirroredUser): Promise<MoveSides | undefined> {
    // The common case costs nothing: no move, no lookup.
    return current.tenant.movingWith ? this.migration.sides(current, user.id) : undefined;
  }

  /**
   * Lazy password migration (Cognito cannot export password hashes): a user
   * whose password reached the target signs in there. Otherwise the source
   * checks the password; once it has accepted it (tokens, or a TOTP challenge,
   * which proves the password too), the same password is set on the target
   * (permanent) — for a deferred user, on the target account made from its
   * source record right then — and the sign-in completes there: one round for
   * the user. A source answer that does not prove the password (a new password
   * required) is finished at the source; the password moves at the next sign-in.
   */
  private async signInDuringMove(move: MoveSides, user: MirroredUser, request: PublicRequest, password: string): Promise<MoveSignIn> {
    if (move.passwordMigrated && !move.deferred) {
      return { serving: move.target, hadTotp: false, outcome: await this.identity.signInWithPassword(via(move.target, request), user.username, password) };
    }
    if (move.passwordMigrated) {
      const migrated = await this.signInMigratedByCognito(move, user, request, password);
      if (migrated) return migrated;
    }
    const { outcome: atSource, proven } = await this.migration.proveAtSource(via(move.source, request), user.username, password);
    if (!proven) return { serving: move.source, hadTotp: false, outcome: atSource };
    const hadTotp = atSource.kind === 'challenge' || user.mfaEnrolled;
    try {
      await this.migration.moveToTarget(move, user, password, hadTotp);
    } catch (error) {
      // The target refuses the password (a stricter policy): the user goes on at the source; the move's reset path covers them.
      this.logger.warn(`tier move: the target refused a migrated password (${(error as { code?: string }).code ?? String(error)}); the user stays on the source`);
      return { serving: move.source, hadTotp: false, outcome: atSource };
    }
    if (atSource.kind === 'tokens' && atSource.tokens.refreshToken) {
      // Only the target's tokens leave: the source's session ends here.
      await this.revokeQuietly(move.source, atSource.tokens.refreshToken);
    }
    return { serving: move.target, hadTotp, outcome: await this.identity.signInWithPassword(via(move.target, request), user.username, password) };
  }

  /**
   * A deferred user whose password the target pool's user-migration trigger
   * moved (a direct sign-in or reset at Cognito): the account Cognito made holds
   * the password, so the sign-in goes there, and Gatehouse binds the account if
   * nobody has yet. Undefined when Cognito never made the account (it failed
   * after the trigger answered): the source proves the password as usual.
   */
  private async signInMigratedByCognito(move: MoveSides, user: MirroredUser, request: PublicRequest, password: string): Promise<MoveSignIn | undefined> {
    const account = await this.identity.getUser(move.target.pool, user.username);
    if (!account) return undefined;
    const outcome = await this.identity.signInWithPassword(via(move.target, request), user.username, password);
    if (outcome.kind === 'tokens') await this.deferredUsers.bindCreatedByCognito(move.target.issuer, move.target.client.clientId, user.username, account.sub);
    return { serving: move.target, hadTotp: false, outcome };
  }

  /**
   * Answers a challenge for the user sealed in the handle — never for an e-mail
   * or tenant from the body, which may only repeat the handle's own (any
   * disagreement, like a forged, expired or replayed handle, is 401
   * `invalid_challenge`).
   */
  async respondToChallenge(
    request: PublicRequest,
    input: { tenant?: string; email?: string; challenge: ChallengeName; session: string; newPassword?: string; code?: string },
  ): Promise<SignInResult> {
    const claims = this.steps.open(input.session, 'tenant', input.challenge);
    const named = this.tenants.namedByPublicRequest(request.route, input.tenant);
    if (!claims.tenantId || !claims.userId || (named && named.id !== claims.tenantId)) throw invalidChallenge();
    const target = this.challengeSide(this.tenants.forTenantId(claims.tenantId), claims.clientId);
    if (target.tenant.status === 'suspended') throw new ForbiddenError('tenant_suspended', 'This tenant is suspended.');
    const user = await this.mirror.findById(claims.tenantId, claims.userId);
    if (!user || user.username !== claims.username || (input.email !== undefined && input.email.toLowerCase() !== user.email)) {
      throw invalidChallenge();
    }
    if (user.status === 'disabled') {
      await this.signInFailed(target, user, 'user_disabled');
      throw new ForbiddenError('user_disabled', 'This user is disabled.');
    }
    // Checked before the handle is spent, so a rejected password can be corrected with the same handle.
    if (input.newPassword !== undefined) assertPasswordMeetsPolicy(input.newPassword, target.passwordPolicy, 'newPassword');
    await this.steps.consume(claims);
    try {
      return await this.steps.answer(
        this.party(target, user, request),
        claims,
        { ...(input.code !== undefined ? { code: input.code } : {}), ...(input.newPassword !== undefined ? { newPassword: input.newPassword } : {}) },
        this.releaseHook(target, user, request),
      );
    } catch (error) {
      // A wrong authenticator code is a failed sign-in of a known user, like a wrong password.
      if (input.challenge === 'SOFTWARE_TOKEN_MFA' && (error as { code?: string }).code === 'invalid_code') await this.signInFailed(target, user, 'invalid_mfa_code');
      throw error;
    }
  }

  /**
   * A shared pool's refresh token works through any tenant of that pool (one
   * app client), so the tenant the request names proves nothing. Cognito's
   * fresh access token says whose it is: verified like any bearer token and
   * resolved to its tenant, user and state. Tokens are released only to the
   * owner's own tenant while it is active and the user enabled.
   */
  async refresh(request: PublicRequest, input: { tenant?: string; refreshToken: string }): Promise<TokenSet> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    // The side whose token it is: the tenant's current one, or during a tier move the other (tokens issued before cut-over).
    let side: TenantIdentity & { direction?: 'target' | 'source' | 'abandoned' } = target;
    const tokens = await this.identity.refresh(via(target, request), input.refreshToken).catch((error: unknown) => {
      const other = (error as { code?: string }).code === 'invalid_refresh_token' ? this.tenants.forMovingSide(target.tenant) : undefined;
      if (!other) throw error;
      side = other;
      return this.identity.refresh(via(other, request), input.refreshToken);
    });
    const ownership = await this.refreshTokenOwnership(target, tokens.accessToken);
    if (ownership.owner === 'disabled_user_of_named_tenant') {
      // Cognito knows nothing of Gatehouse's disabled users: end the session they still hold.
      await this.revokeQuietly(side, input.refreshToken);
      throw new ForbiddenError('user_disabled', 'This user is disabled.');
    }
    // Another tenant's token: refuse without revoking it (it is not this tenant's to end) and drop what Cognito issued.
    if (ownership.owner === 'someone_else') throw invalidRefreshToken();
    // After cut-over a source token has just proven itself (valid, not revoked, this tenant's enabled user): move its holder to the target.
    if (side.direction === 'source') return (await this.moveToTarget(target, side, ownership.userId, input.refreshToken, request)) ?? tokens;
    return tokens;
  }

  /**
   * The tier-move token exchange (README "Trust during a move"): target tokens for
   * the holder of a proven source refresh token, through Cognito's custom flow on
   * the target's Gatehouse client. Undefined — the user stays at the source, as
   * before this existed — when the user has no target user yet (not copied), the
   * provider cannot exchange (the emulator; a region without the triggers), or
   * anything in the exchange fails: never an error for the caller, who holds a
   * perfectly good source session. On success the source refresh token is revoked,
   * so the client carries on with the target's.
   */
  private async moveToTarget(
    target: TenantIdentity,
    source: TenantIdentity,
    userId: string,
    sourceRefreshToken: string,
    request: PublicRequest,
  ): Promise<TokenSet | undefined> {
    const user = await this.mirror.findById(target.tenant.id, userId);
    // After cut-over the users row holds the target identity; a user copied after it (or never) still has the source's only.
    if (!user || user.status === 'disabled' || user.issuer !== target.issuer || !user.sub) return undefined;
    let moved: TokenSet | undefined;
    try {
      moved = await this.identity.exchangeForTokens(via(target, request), user.username);
    } catch (error) {
      this.logger.warn(`tier move: the target refused the token exchange (${(error as { code?: string }).code ?? String(error)}); the user refreshes at the source`);
      return undefined;
    }
    if (!moved?.refreshToken) return undefined;
    // The target's tokens are checked like any others: this tenant's same enabled user, or they are thrown away.
    const owner = await this.refreshTokenOwnership(target, moved.accessToken).catch(() => ({ owner: 'someone_else' }) as const);
    if (owner.owner !== 'named_tenant' || owner.userId !== userId) {
      await this.revokeQuietly(target, moved.refreshToken);
      return undefined;
    }
    // Only the target's session leaves: the source's ends here.
    await this.revokeQuietly(source, sourceRefreshToken);
    await this.moveIdentities.recordRefreshMoved(target.tenant.id, userId);
    return moved;
  }

  /**
   * Revokes a refresh token, but only one that belongs to the named tenant: the
   * token is opaque, so Gatehouse uses it once to learn its owner (the tokens
   * that yields are thrown away), checked as in {@link refresh}.
   */
  async signOut(request: PublicRequest, input: { tenant?: string; refreshToken: string }): Promise<void> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    const tokens = await this.identity.refresh(via(target, request), input.refreshToken);
    if ((await this.refreshTokenOwnership(target, tokens.accessToken)).owner === 'someone_else') throw invalidRefreshToken();
    await this.identity.revokeRefreshToken(via(target, request), input.refreshToken);
    const sub = decodeSubject(tokens.accessToken);
    const user = sub ? await this.mirror.findBySubject(target.issuer, sub) : null;
    if (user) await this.mirror.recordAuthEvent({ type: 'user.signed_out', data: { tenantId: target.tenant.id, userId: user.id } });
  }

  private async refreshTokenOwnership(target: TenantIdentity, accessToken: string): Promise<RefreshTokenOwnership> {
    try {
      const claims = await this.verifier.verify(accessToken);
      // The named tenant as the route hint: a token of any other tenant (or an operator's) fails to resolve.
      const principal = await this.principals.resolve(claims, 'access', { hostname: undefined, tenantHeader: target.tenant.id });
      return principal.kind === 'tenant' && principal.context.tenantId === target.tenant.id
        ? { owner: 'named_tenant', userId: principal.context.userId }
        : { owner: 'someone_else' };
    } catch (error) {
      if (error instanceof ForbiddenError && error.code === 'user_disabled') return { owner: 'disabled_user_of_named_tenant' };
      // Keys that cannot be fetched right now say nothing about the owner: let that error speak for itself.
      if (error instanceof DomainError && (error.status === 401 || error.status === 403) && error.code !== 'signing_key_unavailable') {
        return { owner: 'someone_else' };
      }
      throw error;
    }
  }

  private async revokeQuietly(target: TenantIdentity, refreshToken: string): Promise<void> {
    await this.identity.revokeRefreshToken(target.client, refreshToken).catch((error: unknown) => {
      this.logger.warn(`could not revoke a refused refresh token: ${String(error)}`);
    });
  }

  async forgotPassword(request: PublicRequest, input: { tenant?: string; email: string }): Promise<void> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    const user = await this.mirror.findByEmail(target.tenant.id, input.email);
    if (!user || user.status === 'disabled') return; // one answer for every address
    const { side } = await this.resetSide(target, user);
    await this.identity.forgotPassword(via(side, request), user.username);
  }

  async confirmForgotPassword(
    request: PublicRequest,
    input: { tenant?: string; email: string; code: string; newPassword: string },
  ): Promise<void> {
    const target = this.tenants.forPublicRequest(request.route, input.tenant);
    assertPasswordMeetsPolicy(input.newPassword, target.passwordPolicy, 'newPassword');
    const user = await this.mirror.findByEmail(target.tenant.id, input.email);
    if (!user) throw invalidCode();
    const { side, move } = await this.resetSide(target, user);
    await this.identity.confirmForgotPassword(via(side, request), user.username, input.code, input.newPassword);
    await this.mirror.recordAuthEvent({ type: 'user.password_reset', data: { tenantId: target.tenant.id, userId: user.id } });
    if (move) {
      // A new password at the source moves again at the next sign-in; one at the target counts as moved.
      if (move.source === side) await this.moveIdentities.forgetMigratedPassword(target.tenant.id, user.id);
      else await this.moveIdentities.markPasswordMigrated(target.tenant.id, user.id, false);
    }
  }

  /**
   * Where a password reset happens: the side serving the tenant — except for a
   * deferred user of a tier move with no target account yet, whose password
   * still lives at the source (after cut-over too) until a sign-in moves it.
   */
  private async resetSide(current: TenantIdentity, user: MirroredUser): Promise<{ side: TenantIdentity; move: MoveSides | undefined }> {
    const move = await this.moveSides(current, user);
    return { side: move?.deferred && !move.passwordMigrated ? move.source : current, move };
  }

  /** The side a challenge handle belongs to: the tenant's current one, or during a tier move the other side named by the handle's client. */
  private challengeSide(current: TenantIdentity, clientId: string | undefined): TenantIdentity {
    if (clientId === undefined || clientId === current.client.clientId) return current;
    const other = this.tenants.forMovingSide(current.tenant);
    if (!other || other.client.clientId !== clientId) throw invalidChallenge();
    return other;
  }

  /**
   * The right password for an account that was never confirmed. Answering
   * anything but the wrong-password answer would tell a guesser that the
   * account exists (and that the password is right). The owner, who may have
   * lost the first code, gets a new one by e-mail, sent in the background so
   * the answer takes no longer than a wrong password's.
   */
  private unconfirmed(target: TenantIdentity, user: MirroredUser): Error {
    void this.identity.resendConfirmationCode(target.client, user.username).catch((error: unknown) => {
      this.logger.warn(`could not resend the confirmation code of an unconfirmed user at sign-in: ${String(error)}`);
    });
    return invalidCredentials();
  }

  private async signInFailed(target: TenantIdentity, user: MirroredUser, reason: SignInFailureReason): Promise<void> {
    await this.mirror.recordAuthEvent(
      { type: 'user.sign_in_failed', data: { tenantId: target.tenant.id, userId: user.id, reason } },
      { outcome: 'failure', details: { reason } },
    );
  }

  private party(target: TenantIdentity, user: MirroredUser, request: PublicRequest): SignInParty {
    return {
      aud: 'tenant',
      tenantId: target.tenant.id,
      userId: user.id,
      username: user.username,
      client: via(target, request),
      mfaRequired: target.tenant.mfaPolicy === 'required',
      totpIssuer: `Gatehouse (${target.tenant.slug})`,
      totpAccount: user.email,
    };
  }

  /** What happens just before a tenant user's tokens leave: refuse a disabled user, bring the mirror up to date. */
  private releaseHook(target: TenantIdentity, user: MirroredUser, request: PublicRequest): ReleaseHook {
    return async (tokens, mfaPassed) => {
      await this.refuseIfDisabled(target, tokens, tokens.refreshToken, user);
      await this.enrich(target, user, tokens, request);
      if (user.status === 'pending') {
        // Cognito only issues tokens to confirmed users: the mirror catches up on first sign-in.
        await this.mirror.markConfirmed(target.tenant.id, user.id, { emailVerified: true, sub: decodeSubject(tokens.accessToken) });
      }
      // A passed TOTP check proves an enrolled authenticator, wherever it was enrolled.
      if (mfaPassed && !user.mfaEnrolled) await this.mirror.setMfaEnrolled(target.tenant.id, user.id, true);
      await this.mirror.recordAuthEvent({ type: 'user.signed_in', data: { tenantId: target.tenant.id, userId: user.id, via: 'api' } });
    };
  }

  /** The token-enrichment hook's claims for this sign-in, kept on the user (shown on /v1/me); a closed failure refuses the sign-in. */
  private async enrich(target: TenantIdentity, user: MirroredUser, tokens: TokenSet, request: PublicRequest): Promise<void> {
    const enrichment = await this.hooks.tokenEnrichment(hookTenant(target), { id: user.id, email: user.email, role: user.role }, request.clientAddress);
    if (!enrichment.allowed) {
      if (tokens.refreshToken) await this.revokeQuietly(target, tokens.refreshToken);
      throw signInDenied();
    }
    const claims = enrichment.claims ?? {};
    // Written only when they change: no statement per sign-in for tenants without the hook.
    if (JSON.stringify(claims) !== JSON.stringify(user.hookClaims ?? {})) await this.mirror.setHookClaims(target.tenant.id, user.id, claims);
  }

  private async refuseIfDisabled(target: TenantIdentity, tokens: TokenSet, refreshToken: string | undefined, known?: MirroredUser): Promise<void> {
    let user = known;
    if (!user) {
      const sub = decodeSubject(tokens.accessToken);
      user = sub ? ((await this.mirror.findBySubject(target.issuer, sub)) ?? undefined) : undefined;
    }
    if (user?.status !== 'disabled') return;
    if (known) await this.signInFailed(target, user, 'user_disabled');
    if (refreshToken) {
      await this.identity.revokeRefreshToken(target.client, refreshToken).catch((error: unknown) => {
        this.logger.warn(`could not revoke a disabled user's refresh token: ${String(error)}`);
      });
    }
    throw new ForbiddenError('user_disabled', 'This user is disabled.');
  }
}
