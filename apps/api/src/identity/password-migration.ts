/**
 * Moving a user's password to the target of a tier move (Cognito cannot
 * export password hashes): the steps shared by the two ways a password
 * reaches the target —
 *
 * - a sign-in through Gatehouse (auth-flows.service.ts `signInDuringMove`):
 *   the source proves the password, Gatehouse puts it on the target itself;
 * - a sign-in directly at the target's public client, through the target
 *   pool's user-migration trigger (user-migration.service.ts): the source
 *   proves the password, Cognito creates the account from Gatehouse's answer.
 *
 * Both prove the password with {@link proveAtSource}, through the source's
 * confidential Gatehouse client, and nothing else.
 */
import { Injectable } from '@nestjs/common';
import { DeferredUsers } from '../tenants/tier-move/deferred-users.js';
import { MoveIdentities } from '../tenants/tier-move/move-identities.js';
import type { MirroredUser } from '../tenants/user-mirror.js';
import { type AuthOutcome, type ClientRef, IdentityProvider } from './identity-provider.js';
import { invalidCredentials } from './identity.errors.js';
import { type TenantIdentity, TenantIdentityResolver } from './tenant-identity.js';

/** The two sides of a tier move, for a user recorded by the move. */
export interface MoveSides {
  readonly target: TenantIdentity;
  readonly source: TenantIdentity;
  /** The target's tier (the tenant snapshot names the current side's). */
  readonly targetTier: string;
  readonly passwordMigrated: boolean;
  /** The user has no target account yet (its password was not known when users were copied). */
  readonly deferred: boolean;
}

export interface SourceAnswer {
  readonly outcome: AuthOutcome;
  /** Tokens, or a TOTP challenge: either way the source accepted the password. */
  readonly proven: boolean;
}

@Injectable()
export class PasswordMigration {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly tenants: TenantIdentityResolver,
    private readonly moveIdentities: MoveIdentities,
    private readonly deferredUsers: DeferredUsers,
  ) {}

  /** Where a user of a tenant moving between tiers signs in: the target and the source, once the move recorded the user. */
  async sides(current: TenantIdentity, userId: string): Promise<MoveSides | undefined> {
    const moving = current.tenant.movingWith;
    if (!moving) return undefined;
    const other = this.tenants.forMovingSide(current.tenant);
    if (!other || other.direction === 'abandoned') return undefined;
    const identity = await this.moveIdentities.find(current.tenant.id, userId);
    // Not recorded yet (or nothing to move): the user signs in where the tenant is served, as always.
    if (!identity || identity.sub.startsWith('none:')) return undefined;
    const facts = { passwordMigrated: identity.passwordMigrated, deferred: identity.deferred };
    return other.direction === 'target'
      ? { target: other, source: current, targetTier: moving.tier, ...facts }
      : { target: current, source: other, targetTier: current.tenant.tier, ...facts };
  }

  /** The source's answer to the password (through the source's Gatehouse client); a wrong password throws `invalid_credentials`. */
  async proveAtSource(source: ClientRef, username: string, password: string): Promise<SourceAnswer> {
    const outcome = await this.identity.signInWithPassword(source, username, password);
    const proven = outcome.kind === 'tokens' || outcome.challenge === 'SOFTWARE_TOKEN_MFA' || outcome.challenge === 'SELECT_MFA_TYPE';
    return { outcome, proven };
  }

  /**
   * Puts a proven password on the target (AdminSetUserPassword, permanent). A
   * deferred user's target account is made first, from its source record
   * (attributes, tenant attributes with the target tier, groups, enabled
   * state; kept if a crashed attempt made it already), and bound to the user.
   * Throws when the target refuses the password (a stricter policy): nothing
   * is recorded then, and the account waits for the next attempt.
   */
  async moveToTarget(move: MoveSides, user: MirroredUser, password: string, hadTotp: boolean): Promise<void> {
    const tenantId = move.target.tenant.id;
    if (!move.deferred) {
      await this.identity.setPassword(move.target.pool, user.username, password, true);
      await this.moveIdentities.markPasswordMigrated(tenantId, user.id, hadTotp);
      return;
    }
    const original = await this.identity.getUser(move.source.pool, user.username);
    if (!original) throw invalidCredentials();
    const pools = { source: move.source.pool, target: move.target.pool };
    const account = await this.deferredUsers.createOnTarget(pools, original, { tenantId, targetTier: move.targetTier, fallbackEmail: user.email });
    await this.identity.setPassword(move.target.pool, user.username, password, true);
    await this.moveIdentities.bind(tenantId, user.id, account.sub, { passwordMigrated: true, hadTotp });
  }
}
