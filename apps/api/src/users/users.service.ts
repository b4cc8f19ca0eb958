/**
 * A tenant admin's user management inside their own tenant. Reads run without
 * an interactive transaction (TenantDb.autocommit); every change runs in ONE
 * tenant-scoped transaction (TenantDb.run). Row-level security decides
 * which users exist (another tenant's user id is simply not there → 404), the
 * audit event commits with the change, and the Cognito call is made inside the
 * transaction so that a refused Cognito call rolls the row back. The one
 * effect a rollback cannot undo — a user Cognito created before the commit
 * failed — is compensated by deleting it.
 *
 * Gatehouse's row decides access (the guard refuses a disabled user and caps
 * token groups at the stored role), so the row is written first and Cognito
 * follows; this replica's user cache is evicted right after the commit, other
 * replicas by the users trigger's NOTIFY.
 */
import { Injectable, Logger } from '@nestjs/common';
import { type TenantRole, deriveSignInUsername } from '@gatehouse/tiers';
import { AuditService } from '../audit/audit.service.js';
import { EventsService } from '../events/events.service.js';
import { isUniqueViolation } from '../common/database-errors.js';
import { MissingTenantContextError } from '../common/domain-error.js';
import type { TransactionClient } from '../database/prisma-client.js';
import { TenantDb } from '../database/tenant-db.js';
import { IdentityProvider, type PoolRef } from '../identity/identity-provider.js';
import { TenantIdentityResolver } from '../identity/tenant-identity.js';
import { type AuthContext, currentAuth } from '../tenancy/request-context.js';
import { TenantUserDirectory } from '../tenants/tenant-user-directory.js';
import type { InviteUser, ListUsersQuery, UserView } from './dto/user.dto.js';
import { cannotChangeOwnAccount, explainUserWriteError, mfaManagedElsewhere, userExists, userNotFound } from './users.errors.js';

const FIELDS = { id: true, email: true, role: true, status: true, emailVerified: true, issuer: true, username: true, createdAt: true, updatedAt: true } as const;

interface UserRow {
  id: string;
  email: string;
  role: TenantRole;
  status: 'pending' | 'active' | 'disabled';
  emailVerified: boolean;
  issuer: string;
  username: string;
  createdAt: Date;
  updatedAt: Date;
}

type TenantPool = PoolRef & { readonly issuer: string };
type TenantSides = TenantPool & { readonly moving?: TenantPool };

/**
 * Where a user's Cognito accounts are: `home`, the pool of the identity Gatehouse
 * holds for them (their tokens' issuer), and, while their tenant moves between
 * tiers, `alsoAt`, the other side's pool, where the user may have a copy too
 * (copied up front, or made at their first sign-in after cut-over). A user of
 * another issuer (an external identity provider) has none.
 */
interface CognitoAccounts {
  readonly home: TenantPool;
  readonly alsoAt?: TenantPool;
}

function caller(): AuthContext {
  const auth = currentAuth();
  if (!auth) throw new MissingTenantContextError();
  return auth;
}

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly db: TenantDb,
    private readonly identity: IdentityProvider,
    private readonly audit: AuditService,
    private readonly tenants: TenantIdentityResolver,
    private readonly directory: TenantUserDirectory,
    private readonly events: EventsService,
  ) {}

  /**
   * The Cognito pool the caller's tenant keeps its users in (its own for silo, its tier's otherwise)
   * and, while the tenant moves between tiers, the other side's (`moving`): one lookup per request.
   */
  private pool(auth: AuthContext): TenantSides {
    const current = this.tenants.forTenantId(auth.tenantId);
    const moving = this.tenants.forMovingSide(current.tenant);
    return { ...current.pool, issuer: current.issuer, ...(moving ? { moving: { ...moving.pool, issuer: moving.issuer } } : {}) };
  }

  /** The user's Cognito accounts (see {@link CognitoAccounts}) on the tenant's sides; undefined for an external identity. */
  private accounts(pool: TenantSides, user: { issuer: string }): CognitoAccounts | undefined {
    const { moving, ...current } = pool;
    const sides: TenantPool[] = moving ? [current, moving] : [current];
    const home = sides.find((side) => side.issuer === user.issuer);
    if (!home) return undefined;
    const alsoAt = sides.find((side) => side !== home);
    return alsoAt ? { home, alsoAt } : { home };
  }

  /**
   * Applies a change to the user's account at home and, during a move, to its
   * copy on the other side when there is one — so a promotion, a disable or a
   * removal made mid-move is what the user finds on whichever side they sign in
   * next. A failure at either side fails the request (and rolls its transaction back).
   */
  private async onEveryAccount(accounts: CognitoAccounts, username: string, change: (pool: TenantPool) => Promise<unknown>): Promise<void> {
    await change(accounts.home);
    if (accounts.alsoAt && (await this.identity.getUser(accounts.alsoAt, username))) await change(accounts.alsoAt);
  }

  private view(row: UserRow, pool: TenantSides): UserView {
    return {
      id: row.id,
      email: row.email,
      role: row.role,
      status: row.status,
      emailVerified: row.emailVerified,
      // During a tier move a user may still hold the other side's identity: a Cognito user all the same.
      source: this.accounts(pool, row) ? 'cognito' : 'external',
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  list(query: ListUsersQuery) {
    const auth = caller();
    const pool = this.pool(auth);
    return this.db.autocommit(async (tx) => {
      const rows = await tx.user.findMany({
        where: {
          ...(query.role ? { role: query.role } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.q ? { email: { contains: query.q.toLowerCase() } } : {}),
        },
        select: FIELDS,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
        ...(query.cursor ? { cursor: { tenantId_id: { tenantId: auth.tenantId, id: query.cursor } }, skip: 1 } : {}),
      });
      const items = rows.slice(0, query.limit).map((row) => this.view(row, pool));
      return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
    });
  }

  get(userId: string): Promise<UserView> {
    const pool = this.pool(caller());
    return this.db.autocommit(async (tx) => this.view(await this.find(tx, userId), pool));
  }

  private async find(tx: TransactionClient, userId: string): Promise<UserRow> {
    return (await tx.user.findFirst({ where: { id: userId }, select: FIELDS })) ?? Promise.reject(userNotFound());
  }

  /** Cognito e-mails the invitation (temporary password); the row stays `pending` until the first sign-in. */
  async invite(input: InviteUser): Promise<UserView> {
    const auth = caller();
    const pool = this.pool(auth);
    // Opaque, never the e-mail, and derivable by a client that signs in at Cognito directly (tenant + e-mail).
    const username = deriveSignInUsername(auth.tenantId, input.email);
    let created = false;
    try {
      return await this.db.run(async (tx) => {
        if ((await tx.user.count({ where: { email: input.email } })) > 0) throw userExists();
        const row = await tx.user.create({
          data: { tenantId: auth.tenantId, email: input.email, username, issuer: pool.issuer, status: 'pending', role: input.role },
          select: { id: true },
        });
        const user = await this.identity.createUser(pool, {
          username,
          email: input.email,
          attributes: { 'custom:tenantId': auth.tenantId, 'custom:tenantTier': auth.tier },
          invite: true,
        });
        created = true;
        await this.identity.addUserToGroup(pool, username, input.role);
        const updated = await tx.user.update({ where: { tenantId_id: { tenantId: auth.tenantId, id: row.id } }, data: { sub: user.sub }, select: FIELDS });
        await this.audit.record(tx, { action: 'user.invite', target: `user:${row.id}`, details: { role: input.role } });
        await this.events.emit(tx, { type: 'user.invited', data: { tenantId: auth.tenantId, userId: row.id, email: input.email, role: input.role } });
        return this.view(updated, pool);
      });
    } catch (error) {
      if (created) {
        await this.identity.deleteUser(pool, username).catch((cleanup: unknown) => this.logger.error(`could not remove Cognito user ${username} after a failed invite: ${String(cleanup)}`));
      }
      if (isUniqueViolation(error)) throw userExists();
      throw error;
    }
  }

  /**
   * A tenant transaction for demote / disable / remove. Postgres serialises those
   * that take away an active admin and refuses the one that would leave none
   * (migration `..._keep_an_active_admin_per_tenant`): 409 `last_admin`.
   */
  private async guardedWrite<T>(work: (tx: TransactionClient) => Promise<T>): Promise<T> {
    try {
      return await this.db.run(work);
    } catch (error) {
      throw explainUserWriteError(error);
    }
  }

  async changeRole(userId: string, role: TenantRole): Promise<UserView> {
    const auth = caller();
    const pool = this.pool(auth);
    const result = await this.guardedWrite(async (tx) => {
      const user = await this.find(tx, userId);
      if (user.id === auth.userId) throw cannotChangeOwnAccount();
      if (user.role === role) return this.view(user, pool);
      const updated = await tx.user.update({ where: { tenantId_id: { tenantId: auth.tenantId, id: userId } }, data: { role }, select: FIELDS });
      await this.audit.record(tx, { action: 'user.role.change', target: `user:${userId}`, details: { from: user.role, to: role } });
      await this.events.emit(tx, { type: 'user.role_changed', data: { tenantId: auth.tenantId, userId, from: user.role, to: role } });
      const accounts = this.accounts(pool, user);
      if (accounts) {
        await this.onEveryAccount(accounts, user.username, async (at) => {
          await this.identity.addUserToGroup(at, user.username, role);
          await this.identity.removeUserFromGroup(at, user.username, user.role);
        });
      }
      return this.view(updated, pool);
    });
    this.directory.evictUser(userId);
    return result;
  }

  async setEnabled(userId: string, enabled: boolean): Promise<UserView> {
    const auth = caller();
    const pool = this.pool(auth);
    const result = await this.guardedWrite(async (tx) => {
      const user = await this.find(tx, userId);
      if (user.id === auth.userId) throw cannotChangeOwnAccount();
      if ((user.status === 'disabled') === !enabled) return this.view(user, pool);
      const accounts = this.accounts(pool, user);
      let status: UserRow['status'] = 'disabled';
      if (enabled) {
        // Back to where the user was: pending until the first sign-in, active after it.
        const remote = accounts ? await this.identity.getUser(accounts.home, user.username) : undefined;
        status = accounts && (!remote || remote.status === 'FORCE_CHANGE_PASSWORD') ? 'pending' : 'active';
      }
      const updated = await tx.user.update({ where: { tenantId_id: { tenantId: auth.tenantId, id: userId } }, data: { status }, select: FIELDS });
      let signedOutEverywhere = false;
      if (accounts) {
        await this.onEveryAccount(accounts, user.username, async (at) => {
          await this.identity.setUserEnabled(at, user.username, enabled);
          if (!enabled) signedOutEverywhere = (await this.identity.signOutEverywhere(at, user.username)) || signedOutEverywhere;
        });
      }
      await this.audit.record(tx, {
        action: enabled ? 'user.enable' : 'user.disable',
        target: `user:${userId}`,
        details: enabled ? {} : { signedOutEverywhere },
      });
      await this.events.emit(tx, { type: enabled ? 'user.enabled' : 'user.disabled', data: { tenantId: auth.tenantId, userId } });
      return this.view(updated, pool);
    });
    this.directory.evictUser(userId);
    return result;
  }

  async remove(userId: string): Promise<void> {
    const auth = caller();
    const pool = this.pool(auth);
    await this.guardedWrite(async (tx) => {
      const user = await this.find(tx, userId);
      if (user.id === auth.userId) throw cannotChangeOwnAccount();
      // deleteMany: a concurrent DELETE of the same user removed it after our read → 404, not a Prisma P2025.
      const { count } = await tx.user.deleteMany({ where: { tenantId: auth.tenantId, id: userId } });
      if (count === 0) throw userNotFound();
      await this.audit.record(tx, { action: 'user.remove', target: `user:${userId}`, details: { role: user.role } });
      await this.events.emit(tx, { type: 'user.deleted', data: { tenantId: auth.tenantId, userId } });
      const accounts = this.accounts(pool, user);
      if (accounts) await this.onEveryAccount(accounts, user.username, (at) => this.identity.deleteUser(at, user.username));
    });
    this.directory.evictUser(userId);
  }

  /**
   * Turns the user's TOTP off in Cognito (AdminSetUserMFAPreference) and in
   * Gatehouse's record, so that a tenant requiring MFA makes them enrol again
   * at their next sign-in (e.g. a lost phone). Audited; not for one's own account.
   */
  async resetMfa(userId: string): Promise<UserView> {
    const auth = caller();
    const pool = this.pool(auth);
    const result = await this.db.run(async (tx) => {
      const user = await this.find(tx, userId);
      if (user.id === auth.userId) throw cannotChangeOwnAccount();
      const accounts = this.accounts(pool, user);
      if (!accounts) throw mfaManagedElsewhere();
      const updated = await tx.user.update({ where: { tenantId_id: { tenantId: auth.tenantId, id: userId } }, data: { mfaEnrolled: false }, select: FIELDS });
      await this.audit.record(tx, { action: 'user.mfa.reset', target: `user:${userId}` });
      await this.events.emit(tx, { type: 'user.mfa_reset', data: { tenantId: auth.tenantId, userId } });
      // Inside the transaction: if Cognito refuses, Gatehouse's record and the audit event roll back with it.
      await this.onEveryAccount(accounts, user.username, (at) => this.identity.resetUserMfa(at, user.username));
      return this.view(updated, pool);
    });
    this.directory.evictUser(userId);
    return result;
  }
}
