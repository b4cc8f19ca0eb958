/**
 * Verified identities → Gatehouse users, across tenants. The guard needs this
 * before any tenant context exists (a pool-model token names a user, not a
 * tenant), so it reads through the privileged client, which only the tenants
 * module holds. Lookups are cached in memory and evicted the moment Postgres
 * reports a change to the user (disable, role change, removal) on any replica.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { TenantRole } from '@gatehouse/tiers';
import { DatabaseChangeListener } from '../database/database-change-listener.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';

export interface DirectoryUser {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string;
  readonly status: 'pending' | 'active' | 'disabled';
  readonly role: TenantRole;
  /** A verified TOTP authenticator Gatehouse has seen. */
  readonly mfaEnrolled: boolean;
}

export interface JustInTimeUser {
  readonly tenantId: string;
  readonly issuer: string;
  readonly subject: string;
  readonly username: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly role: TenantRole;
}

export class IdentityConflictError extends Error {
  override readonly name = 'IdentityConflictError';
}

const MAX_CACHED_USERS = 100_000;

/** One text per (issuer, subject) pair, and never the same for two pairs: the issuer's length comes first. */
const identityKey = (issuer: string, subject: string) => `${issuer.length}:${issuer}${subject}`;

interface CachedUser {
  /** The entry's key in the eviction order: {@link identityKey}. */
  readonly key: string;
  readonly issuer: string;
  readonly subject: string;
  readonly user: DirectoryUser;
  /** Read since it was stored (or last spared): eviction passes it over once. */
  used: boolean;
}

@Injectable()
export class TenantUserDirectory implements OnModuleInit {
  /** {@link identityKey} → user. Map order is insertion order: the eviction order. */
  private readonly cache = new Map<string, CachedUser>();
  /**
   * The same entries by issuer, then subject: the guard's lookup on every request.
   * Joining issuer and subject into one key cost a string concatenation and a hash
   * of ~100 characters per request; the issuer string comes from the registry and
   * keeps its hash, so this costs a hash of the subject alone.
   */
  private readonly byIssuer = new Map<string, Map<string, CachedUser>>();
  private readonly keysByUserId = new Map<string, string>();

  constructor(
    private readonly privileged: PrivilegedPrismaService,
    private readonly changes: DatabaseChangeListener,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.changes.subscribe('gatehouse_users', {
      onChange: (payload) => this.evictUser(payload.split(':')[1] ?? ''),
      onResync: () => this.clear(),
    });
  }

  async findByIssuerSubject(issuer: string, subject: string): Promise<DirectoryUser | undefined> {
    const cached = this.cachedByIssuerSubject(issuer, subject);
    if (cached) return cached;
    const row = await this.privileged.client.user.findUnique({
      where: { issuer_sub: { issuer, sub: subject } },
      select: { id: true, tenantId: true, email: true, status: true, role: true, mfaEnrolled: true },
    });
    if (!row) return this.findBySecondIdentity(issuer, subject); // never cache absence: a user created a moment later must work at once
    this.remember(issuer, subject, row);
    return row;
  }

  /** The user if the cache holds it (no database, no promise: the guard's every-request path), else undefined. */
  cachedByIssuerSubject(issuer: string, subject: string): DirectoryUser | undefined {
    const cached = this.byIssuer.get(issuer)?.get(subject);
    if (!cached) return undefined;
    cached.used = true; // recency for eviction, without moving the entry in the Map on every request
    return cached.user;
  }

  /**
   * A tenant moving between tiers: its users also have an identity on the
   * other side of the move (tenants/tier-move). Not cached: these lookups last
   * only as long as the move, and cut-over swaps the two identities.
   */
  private async findBySecondIdentity(issuer: string, subject: string): Promise<DirectoryUser | undefined> {
    const identity = await this.privileged.client.tierMoveIdentity.findUnique({
      where: { issuer_sub: { issuer, sub: subject } },
      select: { user: { select: { id: true, tenantId: true, email: true, status: true, role: true, mfaEnrolled: true } } },
    });
    return identity?.user;
  }

  /**
   * Creates the user of a verified first sign-in inside `tenantId` (silo pools
   * and tenants' own IdPs only, where the issuer itself names the tenant).
   * Refuses when the tenant already has that e-mail under another identity:
   * an IdP asserting an address must not take over an existing account.
   */
  async provisionJustInTime(user: JustInTimeUser): Promise<DirectoryUser> {
    const existing = await this.findByIssuerSubject(user.issuer, user.subject);
    if (existing) return existing;
    const email = user.email.toLowerCase();
    const clash = await this.privileged.client.user.findUnique({
      where: { tenantId_email: { tenantId: user.tenantId, email } },
      select: { issuer: true, sub: true },
    });
    if (clash) throw new IdentityConflictError('the tenant already has this e-mail under another identity');
    try {
      const row = await this.privileged.client.user.create({
        data: {
          tenantId: user.tenantId,
          email,
          username: user.username,
          issuer: user.issuer,
          sub: user.subject,
          status: 'active',
          role: user.role,
          emailVerified: user.emailVerified,
        },
        select: { id: true, tenantId: true, email: true, status: true, role: true, mfaEnrolled: true },
      });
      this.remember(user.issuer, user.subject, row);
      return row;
    } catch (error) {
      // Two first requests at once: the other one created it.
      if ((error as { code?: string }).code === 'P2002') {
        const winner = await this.findByIssuerSubject(user.issuer, user.subject);
        if (winner) return winner;
        throw new IdentityConflictError('the tenant already has this e-mail under another identity');
      }
      throw error;
    }
  }

  /**
   * A federated user of a tenant that moved between tiers (tenants/tier-move/federation-move.ts), on its first
   * token from the new pool: Cognito re-created it there under the same `<provider>_<subject>` username with a
   * new `sub`, so its EXISTING row in the same tenant (same username, an identity of another pool) takes the
   * new identity — its id, role, status and data stay. Undefined when the tenant has no such row. The caller
   * has verified the user at Cognito (AdminGetUser: same sub, enabled, the provider in `identities`).
   */
  async rebindFederatedUser(user: { readonly tenantId: string; readonly username: string; readonly issuer: string; readonly subject: string }): Promise<DirectoryUser | undefined> {
    const previous = await this.privileged.client.user.findFirst({
      where: { tenantId: user.tenantId, username: user.username, issuer: { not: user.issuer } },
      select: { id: true, issuer: true },
    });
    if (!previous) return undefined;
    // Compare-and-set on the old identity: two first requests at once re-bind once, the other finds the row below.
    await this.privileged.client.user.updateMany({
      where: { tenantId: user.tenantId, id: previous.id, issuer: previous.issuer },
      data: { issuer: user.issuer, sub: user.subject },
    });
    this.evictUser(previous.id);
    return this.findByIssuerSubject(user.issuer, user.subject);
  }

  /**
   * A Cognito user Gatehouse still records as `pending` presented a verified
   * token: Cognito issues tokens only to confirmed users, so the first sign-in
   * happened (perhaps directly at Cognito, past Gatehouse's own sign-in). Mark
   * the mirror active and the e-mail verified, as a sign-in through the API
   * would. Costs one write per user, once: later requests see `active`.
   */
  async confirmPendingOnFirstRequest(issuer: string, subject: string, user: DirectoryUser): Promise<DirectoryUser> {
    if (user.status !== 'pending') return user;
    await this.privileged.client.user.updateMany({
      where: { tenantId: user.tenantId, id: user.id, status: 'pending' },
      data: { status: 'active', emailVerified: true },
    });
    const confirmed: DirectoryUser = { ...user, status: 'active' };
    this.remember(issuer, subject, confirmed);
    return confirmed;
  }

  evictUser(userId: string): void {
    const key = this.keysByUserId.get(userId);
    const entry = key === undefined ? undefined : this.cache.get(key);
    if (entry) this.forget(entry);
    this.keysByUserId.delete(userId);
  }

  clear(): void {
    this.cache.clear();
    this.byIssuer.clear();
    this.keysByUserId.clear();
  }

  private remember(issuer: string, subject: string, user: DirectoryUser): void {
    const key = identityKey(issuer, subject);
    const previous = this.cache.get(key);
    if (previous && previous.user.id !== user.id) this.keysByUserId.delete(previous.user.id);
    const entry: CachedUser = { key, issuer, subject, user, used: false };
    this.cache.set(key, entry);
    let bySubject = this.byIssuer.get(issuer);
    if (!bySubject) this.byIssuer.set(issuer, (bySubject = new Map()));
    bySubject.set(subject, entry);
    this.keysByUserId.set(user.id, key);
    if (this.cache.size > MAX_CACHED_USERS) this.evictOldest();
  }

  /** Removes an entry from both indexes (not from keysByUserId: the callers decide that). */
  private forget(entry: CachedUser): void {
    this.cache.delete(entry.key);
    const bySubject = this.byIssuer.get(entry.issuer);
    if (bySubject?.get(entry.subject) !== entry) return;
    bySubject.delete(entry.subject);
    if (bySubject.size === 0) this.byIssuer.delete(entry.issuer);
  }

  /**
   * Drops a sixteenth of the users, oldest first, giving one read since it was stored a
   * second chance (moved to the newest end): least-recently-used in effect, in one pass
   * (deleting one entry per insert makes each `keys().next()` walk every deleted slot).
   */
  private evictOldest(): void {
    let excess = this.cache.size - MAX_CACHED_USERS + Math.floor(MAX_CACHED_USERS / 16);
    for (const [key, entry] of this.cache) {
      if (excess <= 0) break;
      this.cache.delete(key);
      if (entry.used) {
        entry.used = false;
        this.cache.set(key, entry); // still in byIssuer: the same entry object
      } else {
        this.forget(entry);
        this.keysByUserId.delete(entry.user.id);
        excess -= 1;
      }
    }
  }
}
