/**
 * Unique test data. Names come from a per-process counter and random suffix,
 * never from the clock, so parallel suites never collide.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TenantRole } from '@gatehouse/tiers';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import type { AuthContext } from '../../apps/api/src/tenancy/request-context.js';

let counter = 0;
export function uniqueSuffix(): string {
  counter += 1;
  return `${counter.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function uniqueSlug(prefix = 't'): string {
  return `${prefix}-${uniqueSuffix()}`;
}

export function uniqueEmail(domain = 'example.test'): string {
  return `user-${uniqueSuffix()}@${domain}`;
}

export interface TenantFixture {
  readonly id: string;
  readonly slug: string;
  readonly issuer: string;
}

/** A tenant row written through the privileged client, as the tenants module does. */
export async function createTenantRow(
  privileged: PrismaClient,
  overrides: { slug?: string; tier?: string; isolationModel?: 'silo' | 'pool' | 'bridge'; status?: 'active' | 'suspended' } = {},
): Promise<TenantFixture> {
  const slug = overrides.slug ?? uniqueSlug();
  const issuer = `https://issuer.example.test/${slug}`;
  const tenant = await privileged.tenant.create({
    data: {
      slug,
      name: `Tenant ${slug}`,
      tier: overrides.tier ?? 'basic',
      isolationModel: overrides.isolationModel ?? 'pool',
      status: overrides.status ?? 'active',
      region: 'us-east-1',
      issuer,
    },
  });
  return { id: tenant.id, slug, issuer };
}

export interface UserFixture {
  readonly id: string;
  readonly email: string;
  readonly role: TenantRole;
  readonly auth: AuthContext;
}

export async function createUserRow(
  privileged: PrismaClient,
  tenant: TenantFixture,
  role: TenantRole = 'member',
): Promise<UserFixture> {
  const email = uniqueEmail();
  const sub = randomUUID();
  const user = await privileged.user.create({
    data: { tenantId: tenant.id, email, username: sub, issuer: tenant.issuer, sub, role, status: 'active', emailVerified: true },
  });
  return {
    id: user.id,
    email,
    role,
    auth: { tenantId: tenant.id, userId: user.id, roles: [role], tier: 'basic', issuer: tenant.issuer, subject: sub },
  };
}
