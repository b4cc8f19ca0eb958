/**
 * The API's half of the target pool's user-migration trigger
 * (infra/lambdas/user-migration.ts) during a tier move.
 *
 * Cognito calls that trigger only for a user who does NOT exist in the pool,
 * at a sign-in with the password sent to Cognito (USER_PASSWORD_AUTH,
 * ADMIN_USER_PASSWORD_AUTH — never SRP) or at ForgotPassword. In a moving
 * tenant those are exactly its deferred users (tier-move/move-identities.ts):
 * users with a password of their own whose target account waits for it.
 *
 * Gatehouse answers with the account's attributes (target-user.ts, the same
 * ones a Gatehouse-made account gets) only when every check passes; any
 * refusal is one answer (403 `user_migration_refused`), and the Lambda then
 * throws, so Cognito refuses the sign-in:
 *
 * - the pool's issuer and username are a deferred user of a live move
 *   (active tenant, not cancelled) whose target is that very pool, reached
 *   through one of that tenant's target clients;
 * - the user is not disabled, its source account exists and is enabled;
 * - the user has no TOTP: its secret cannot be exported, and a trigger cannot
 *   make the user enrol again before tokens leave (a sign-in through Gatehouse
 *   does; such users are refused here and sign in through Gatehouse);
 * - `authentication`: the source proves the password with tokens
 *   (password-migration.ts, the same check as a sign-in through Gatehouse);
 * - `forgot_password`: no password; the account is made so the reset code
 *   goes out, and the password Cognito then sets counts as moved.
 *
 * Groups and the new subject cannot travel through a trigger: the account is
 * bound when Gatehouse first sees it (deferred-users.ts).
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from '../common/domain-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type AppConfig, cognitoIssuer } from '../config/config.schema.js';
import { DeferredUsers } from '../tenants/tier-move/deferred-users.js';
import { MoveIdentities } from '../tenants/tier-move/move-identities.js';
import { targetUserAttributes } from '../tenants/tier-move/target-user.js';
import { UserMirror } from '../tenants/user-mirror.js';
import { IdentityProvider } from './identity-provider.js';
import { RateLimits } from '../rate-limits/rate-limits.service.js';
import { PasswordMigration } from './password-migration.js';
import { TenantIdentityResolver } from './tenant-identity.js';

export class UserMigrationRefusedError extends DomainError {
  readonly code = 'user_migration_refused';
  readonly status = 403;
  constructor() {
    super('This user is not migrated to this pool.');
  }
}

export const userMigrationRequestSchema = z
  .object({
    kind: z.enum(['authentication', 'forgot_password']),
    userPoolId: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a user pool id'),
    clientId: z.string().min(1).max(128),
    username: z.string().min(1).max(128),
    password: z.string().min(1).max(256).optional(),
  })
  .strict();
export type UserMigrationRequest = z.infer<typeof userMigrationRequestSchema>;

export const userMigrationAnswerSchema = z.object({ userAttributes: z.record(z.string(), z.string()) });
export type UserMigrationAnswer = z.infer<typeof userMigrationAnswerSchema>;

/** Cognito user pool ids are `<region>_<id>` (the emulator's `local_<id>`; its issuers ignore the region). */
function regionOfPool(userPoolId: string): string {
  return userPoolId.slice(0, userPoolId.indexOf('_'));
}

@Injectable()
export class UserMigrationService {
  private readonly logger = new Logger(UserMigrationService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly identity: IdentityProvider,
    private readonly tenants: TenantIdentityResolver,
    private readonly mirror: UserMirror,
    private readonly moveIdentities: MoveIdentities,
    private readonly deferredUsers: DeferredUsers,
    private readonly migration: PasswordMigration,
    private readonly limits: RateLimits,
  ) {}

  async migrate(request: UserMigrationRequest): Promise<UserMigrationAnswer> {
    const issuer = cognitoIssuer(this.config.env, regionOfPool(request.userPoolId), request.userPoolId);
    const deferred = await this.moveIdentities.findDeferred(issuer, request.username);
    if (!deferred) this.refuse(request, 'no deferred user of a move to this pool');
    const move = await this.deferredUsers.liveMoveTo(deferred.tenantId, issuer);
    if (!move) this.refuse(request, 'no live move to this pool');
    if (!this.deferredUsers.targetClients(move.state).includes(request.clientId)) this.refuse(request, 'not a target client of the tenant');
    const current = this.tenants.forTenantId(deferred.tenantId);
    if (current.tenant.status !== 'active') this.refuse(request, 'tenant not active');
    const sides = await this.migration.sides(current, deferred.userId);
    if (!sides?.deferred || sides.target.issuer !== issuer) this.refuse(request, 'not a deferred user of this side');
    const user = await this.mirror.findById(deferred.tenantId, deferred.userId);
    if (!user || user.status === 'disabled' || user.username !== request.username) this.refuse(request, 'unknown or disabled user');
    // TOTP secrets cannot be exported, and a trigger cannot make the user enrol again before tokens leave: a sign-in through Gatehouse can.
    if (user.mfaEnrolled) this.refuse(request, 'TOTP user');
    const original = await this.identity.getUser(sides.source.pool, user.username);
    if (!original?.enabled) this.refuse(request, 'no enabled source account');

    if (request.kind === 'authentication') {
      if (!request.password) this.refuse(request, 'no password');
      // The same per-user failure limit and failure event as a sign-in through Gatehouse: the trigger is no way round them.
      await this.limits.assertSignInAllowed(deferred.tenantId, user.email).catch(() => this.refuse(request, 'too many failed sign-ins'));
      const answer = await this.migration.proveAtSource(sides.source.client, user.username, request.password).catch(async (error: unknown) => {
        if ((error as { code?: string }).code === 'invalid_credentials') {
          await this.limits.recordSignInFailure(deferred.tenantId, user.email);
          await this.mirror.recordAuthEvent(
            { type: 'user.sign_in_failed', data: { tenantId: deferred.tenantId, userId: user.id, reason: 'invalid_credentials' } },
            { outcome: 'failure', details: { reason: 'invalid_credentials', via: 'user_migration_trigger' } },
          );
          this.refuse(request, 'wrong password');
        }
        throw error;
      });
      await this.limits.resetSignInFailures(deferred.tenantId, user.email);
      if (answer.outcome.kind === 'tokens' && answer.outcome.tokens.refreshToken) {
        // Gatehouse asked only to check the password: the source session it got ends here.
        await this.identity.revokeRefreshToken(sides.source.client, answer.outcome.tokens.refreshToken).catch((error: unknown) => {
          this.logger.warn(`could not revoke the source refresh token of a migration check: ${String(error)}`);
        });
      }
      if (answer.outcome.kind !== 'tokens') this.refuse(request, `the source answered ${answer.outcome.challenge}`);
    }
    // The password Cognito stores now (this one, or the one the reset sets) is the target's.
    await this.moveIdentities.markPasswordMigrated(deferred.tenantId, deferred.userId, false);
    return { userAttributes: targetUserAttributes(original, { tenantId: deferred.tenantId, targetTier: sides.targetTier, fallbackEmail: user.email }) };
  }

  /** One answer for every refusal; the reason stays in the log (the Lambda, and so the user, learns only that it was refused). */
  private refuse(request: UserMigrationRequest, reason: string): never {
    this.logger.log(`user-migration trigger refused (${reason}) for pool ${request.userPoolId}`);
    throw new UserMigrationRefusedError();
  }
}
