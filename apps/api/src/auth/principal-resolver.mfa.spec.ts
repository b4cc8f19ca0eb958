/**
 * Gatehouse's MFA enforcement in shared pools: a tenant that requires MFA
 * marks its unenrolled users' principals, and the guard lets those reach only
 * the enrolment routes. Silo pools enforce MFA in Cognito itself.
 */
import { describe, expect, it } from 'vitest';
import type { MfaPolicy } from '@gatehouse/tiers';
import type { AppConfig } from '../config/config.schema.js';
import type { DirectoryUser, TenantUserDirectory } from '../tenants/tenant-user-directory.js';
import { IssuerRegistry } from './issuer-registry.js';
import { type Claims, PrincipalResolver } from './principal-resolver.js';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';
import type { TrustedIssuersService } from './trusted-issuers.service.js';

const SHARED = 'http://127.0.0.1:9229/local_basicPool';
const SILO = 'http://127.0.0.1:9229/local_siloPool';
const POOL_TENANT = '6f0f3c1e-1111-4a1a-8a1a-000000000001';
const SILO_TENANT = '6f0f3c1e-1111-4a1a-8a1a-000000000002';

function resolverFor(policy: MfaPolicy, mfaEnrolled: boolean): PrincipalResolver {
  const registry = new IssuerRegistry(
    [{ key: 'basic', issuer: SHARED, clientIds: ['basic-client'], pool: { kind: 'tier', tier: 'basic', model: 'pool' } }],
    () => true,
  );
  registry.upsertTenant(POOL_TENANT, tenantSnapshot({ id: POOL_TENANT, slug: 'acme', mfaPolicy: policy }));
  registry.upsertTenant(
    SILO_TENANT,
    tenantSnapshot({
      id: SILO_TENANT,
      slug: 'silo',
      model: 'silo',
      tier: 'premium',
      issuer: SILO,
      mfaPolicy: policy,
      appClients: [{ clientId: 'silo-client', issuer: SILO, userPoolId: 'local_siloPool' }],
    }),
  );
  const users = {
    cachedByIssuerSubject: () => undefined, // never cached: the resolver asks Postgres
    findByIssuerSubject: async (issuer: string): Promise<DirectoryUser> => ({
      id: 'user-1',
      tenantId: issuer === SILO ? SILO_TENANT : POOL_TENANT,
      email: 'ada@acme.test',
      status: 'active',
      role: 'member',
      mfaEnrolled,
    }),
  } as unknown as TenantUserDirectory;
  return new PrincipalResolver({ env: {} } as unknown as AppConfig, { registry } as unknown as TrustedIssuersService, users);
}

const token = (iss: string, clientId: string): Claims => ({ iss, sub: 'sub-1', token_use: 'access', client_id: clientId, 'cognito:groups': ['member'] });
const noRoute = { hostname: undefined, tenantHeader: undefined };

describe('PrincipalResolver MFA enrolment', () => {
  it('marks an unenrolled shared-pool user of a tenant that requires MFA', async () => {
    await expect(resolverFor('required', false).resolve(token(SHARED, 'basic-client'), 'access', noRoute)).resolves.toMatchObject({
      kind: 'tenant',
      mfaEnrollmentPending: true,
    });
  });

  it.each([
    ['an enrolled user', 'required', true],
    ['a tenant where MFA is optional', 'optional', false],
  ] as const)('does not mark %s', async (_case, policy, enrolled) => {
    await expect(resolverFor(policy, enrolled).resolve(token(SHARED, 'basic-client'), 'access', noRoute)).resolves.toMatchObject({
      mfaEnrollmentPending: false,
    });
  });

  it('leaves silo tenants to Cognito (their pool has MFA ON)', async () => {
    await expect(resolverFor('required', false).resolve(token(SILO, 'silo-client'), 'access', noRoute)).resolves.toMatchObject({
      mfaEnrollmentPending: false,
    });
  });
});
