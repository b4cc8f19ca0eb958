/**
 * TenantUserDirectory's cache of verified identities: what it answers from
 * memory, and that every eviction (a user's change, a resync) reaches the
 * lookup the guard uses on every request. Postgres is a fake here: the
 * integration suites run the directory against the real one.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChangeSubscriber, DatabaseChangeListener } from '../database/database-change-listener.js';
import type { PrivilegedPrismaService } from '../database/privileged-database.module.js';
import { type DirectoryUser, TenantUserDirectory } from './tenant-user-directory.js';

const TENANT = '7a1c0000-0000-4000-8000-000000000001';
const POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool';
const SILO = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Silo';

interface Row extends DirectoryUser {
  readonly issuer: string;
  readonly sub: string;
}

const row = (id: string, issuer: string, sub: string, extra: Partial<DirectoryUser> = {}): Row => ({
  id,
  tenantId: TENANT,
  email: `${id}@acme.test`,
  status: 'active',
  role: 'member',
  mfaEnrolled: false,
  issuer,
  sub,
  ...extra,
});

function directory(rows: Row[]) {
  const findUnique = vi.fn(async ({ where }: { where: { issuer_sub: { issuer: string; sub: string } } }) => {
    const found = rows.find((candidate) => candidate.issuer === where.issuer_sub.issuer && candidate.sub === where.issuer_sub.sub);
    if (!found) return null;
    const { issuer: _issuer, sub: _sub, ...user } = found;
    return user;
  });
  const privileged = {
    client: {
      user: { findUnique },
      tierMoveIdentity: { findUnique: vi.fn(async () => null) },
    },
  } as unknown as PrivilegedPrismaService;
  let subscriber: ChangeSubscriber | undefined;
  const changes = {
    subscribe: vi.fn(async (_channel: string, next: ChangeSubscriber) => {
      subscriber = next;
    }),
  } as unknown as DatabaseChangeListener;
  const sut = new TenantUserDirectory(privileged, changes);
  return { sut, findUnique, changes: () => subscriber! };
}

describe(TenantUserDirectory.name, () => {
  let rows: Row[];
  beforeEach(() => {
    rows = [row('user-alice', POOL, 'sub-1'), row('user-bob', SILO, 'sub-1')];
  });

  it('answers a user it has read from memory, without Postgres and without a promise', async () => {
    const { sut, findUnique } = directory(rows);
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1')).toBeUndefined();
    expect(await sut.findByIssuerSubject(POOL, 'sub-1')).toMatchObject({ id: 'user-alice' });
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1')).toMatchObject({ id: 'user-alice' });
    expect(await sut.findByIssuerSubject(POOL, 'sub-1')).toMatchObject({ id: 'user-alice' });
    expect(findUnique).toHaveBeenCalledTimes(1);
  });

  it('keeps the same subject under two issuers apart', async () => {
    const { sut } = directory(rows);
    await sut.findByIssuerSubject(POOL, 'sub-1');
    expect(sut.cachedByIssuerSubject(SILO, 'sub-1')).toBeUndefined();
    await sut.findByIssuerSubject(SILO, 'sub-1');
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1')).toMatchObject({ id: 'user-alice' });
    expect(sut.cachedByIssuerSubject(SILO, 'sub-1')).toMatchObject({ id: 'user-bob' });
  });

  it('does not confuse identities whose issuer and subject run together into the same text', async () => {
    rows.push(row('user-carol', `${POOL}\nsub-1`, 'x'), row('user-dave', POOL, 'sub-1\nx'));
    const { sut, changes } = directory(rows);
    await sut.onModuleInit();
    await sut.findByIssuerSubject(`${POOL}\nsub-1`, 'x');
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1\nx')).toBeUndefined();
    await sut.findByIssuerSubject(POOL, 'sub-1\nx');
    expect(sut.cachedByIssuerSubject(`${POOL}\nsub-1`, 'x')).toMatchObject({ id: 'user-carol' });
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1\nx')).toMatchObject({ id: 'user-dave' });
    // Each is still evicted by its own change.
    changes().onChange(`${TENANT}:user-carol`);
    expect(sut.cachedByIssuerSubject(`${POOL}\nsub-1`, 'x')).toBeUndefined();
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1\nx')).toMatchObject({ id: 'user-dave' });
    changes().onChange(`${TENANT}:user-dave`);
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1\nx')).toBeUndefined();
  });

  it('never caches absence: a user created a moment later is found', async () => {
    const { sut, findUnique } = directory(rows);
    expect(await sut.findByIssuerSubject(POOL, 'sub-new')).toBeUndefined();
    rows.push(row('user-new', POOL, 'sub-new'));
    expect(await sut.findByIssuerSubject(POOL, 'sub-new')).toMatchObject({ id: 'user-new' });
    expect(findUnique).toHaveBeenCalledTimes(2);
  });

  it('forgets a user the moment Postgres reports a change to it, and reads it again', async () => {
    const { sut, findUnique, changes } = directory(rows);
    await sut.onModuleInit();
    await sut.findByIssuerSubject(POOL, 'sub-1');
    await sut.findByIssuerSubject(SILO, 'sub-1');
    rows[0] = row('user-alice', POOL, 'sub-1', { status: 'disabled' });
    changes().onChange(`${TENANT}:user-alice`);
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1')).toBeUndefined();
    expect(sut.cachedByIssuerSubject(SILO, 'sub-1')).toMatchObject({ id: 'user-bob' });
    expect(await sut.findByIssuerSubject(POOL, 'sub-1')).toMatchObject({ status: 'disabled' });
    expect(findUnique).toHaveBeenCalledTimes(3);
  });

  it('forgets everyone on a resync (notifications may have been missed)', async () => {
    const { sut, changes } = directory(rows);
    await sut.onModuleInit();
    await sut.findByIssuerSubject(POOL, 'sub-1');
    await sut.findByIssuerSubject(SILO, 'sub-1');
    changes().onResync?.();
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1')).toBeUndefined();
    expect(sut.cachedByIssuerSubject(SILO, 'sub-1')).toBeUndefined();
  });

  it('a pending user confirmed on its first request is cached as active under the same identity', async () => {
    rows[0] = row('user-alice', POOL, 'sub-1', { status: 'pending' });
    const { sut } = directory(rows);
    const pending = (await sut.findByIssuerSubject(POOL, 'sub-1'))!;
    const privileged = (sut as unknown as { privileged: { client: { user: { updateMany?: unknown } } } }).privileged;
    privileged.client.user.updateMany = vi.fn(async () => ({ count: 1 }));
    await sut.confirmPendingOnFirstRequest(POOL, 'sub-1', pending);
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1')).toMatchObject({ id: 'user-alice', status: 'active' });
    sut.evictUser('user-alice');
    expect(sut.cachedByIssuerSubject(POOL, 'sub-1')).toBeUndefined();
  });
});
