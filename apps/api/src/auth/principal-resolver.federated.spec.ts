/**
 * Federated users (Cognito-created `<provider>_<subject>`) on their first token: mirrored into the verified
 * tenant, or — after the tenant moved between tiers — their EXISTING row re-bound to the new pool's identity
 * instead of a second user. Registry, directory and Cognito are small fakes; the end-to-end suite
 * (test/e2e/federated-providers.test.ts) runs the same path on the emulator and Postgres.
 */
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config.schema.js';
import type { IdentityProvider, IdentityUser } from '../identity/identity-provider.js';
import type { DirectoryUser, JustInTimeUser, TenantUserDirectory } from '../tenants/tenant-user-directory.js';
import { IssuerRegistry } from './issuer-registry.js';
import { type Claims, PrincipalResolver } from './principal-resolver.js';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';
import type { TrustedIssuersService } from './trusted-issuers.service.js';

const BRIDGE = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Standard';
const TENANT = '6f0f3c1e-2222-4a1a-8a1a-000000000001';
const USERNAME = 'acme-ad_idp-subject-1';
const existing: DirectoryUser = { id: 'user-1', tenantId: TENANT, email: 'ann@acme.example', status: 'active', role: 'admin', mfaEnrolled: false };

function setup(options: { rowElsewhere: boolean; identities?: string }) {
  const registry = new IssuerRegistry([{ key: 'standard', issuer: BRIDGE, clientIds: [], pool: { kind: 'tier', tier: 'standard', model: 'bridge' } }], () => true);
  registry.upsertTenant(
    TENANT,
    tenantSnapshot({
      id: TENANT,
      slug: 'acme',
      tier: 'standard',
      model: 'bridge',
      region: 'eu-west-1',
      issuer: BRIDGE,
      appClients: [{ clientId: 'acme-public', issuer: BRIDGE, userPoolId: 'eu-west-1_Standard' }],
      federatedProviders: [{ name: 'acme-ad', displayName: 'Acme AD', defaultRole: 'viewer', callbackUrls: ['https://acme.example/cb'], hostedUiDomain: 'gh-std' }],
    }),
  );
  const rebinds: unknown[] = [];
  const created: JustInTimeUser[] = [];
  const users = {
    cachedByIssuerSubject: () => undefined,
    findByIssuerSubject: async () => undefined,
    rebindFederatedUser: async (request: unknown) => {
      rebinds.push(request);
      return options.rowElsewhere ? existing : undefined;
    },
    provisionJustInTime: async (user: JustInTimeUser): Promise<DirectoryUser> => {
      created.push(user);
      return { id: 'user-new', tenantId: user.tenantId, email: user.email, status: 'active', role: user.role, mfaEnrolled: false };
    },
  } as unknown as TenantUserDirectory;
  const record: IdentityUser = {
    username: USERNAME,
    sub: 'sub-on-target',
    email: 'ann@acme.example',
    emailVerified: true,
    enabled: true,
    status: 'EXTERNAL_PROVIDER',
    attributes: { identities: options.identities ?? JSON.stringify([{ userId: 'idp-subject-1', providerName: 'acme-ad', providerType: 'SAML' }]) },
  };
  const identity = { getUser: async () => record } as unknown as IdentityProvider;
  const config = { env: {}, sharedPools: new Map([['standard', { userPoolId: 'eu-west-1_Standard', region: 'eu-west-1' }]]) } as unknown as AppConfig;
  const sut = new PrincipalResolver(config, { registry } as unknown as TrustedIssuersService, users, identity);
  return { sut, rebinds, created };
}

const token: Claims = { iss: BRIDGE, sub: 'sub-on-target', token_use: 'access', client_id: 'acme-public', username: USERNAME };
const noRoute = { hostname: undefined, tenantHeader: undefined };

describe('PrincipalResolver federated users after a tier move', () => {
  it('re-binds the tenant’s existing row (same username, another pool’s identity): same user, same role, no second user', async () => {
    const { sut, rebinds, created } = setup({ rowElsewhere: true });
    await expect(sut.resolve(token, 'access', noRoute)).resolves.toMatchObject({ kind: 'tenant', context: { tenantId: TENANT, userId: 'user-1', roles: ['admin'] } });
    expect(rebinds).toEqual([{ tenantId: TENANT, username: USERNAME, issuer: BRIDGE, subject: 'sub-on-target' }]);
    expect(created).toEqual([]);
  });

  it('mirrors a user the tenant never had, as before', async () => {
    const { sut, created } = setup({ rowElsewhere: false });
    await expect(sut.resolve(token, 'access', noRoute)).resolves.toMatchObject({ context: { userId: 'user-new', roles: ['viewer'] } });
    expect(created).toHaveLength(1);
  });

  it('re-binds nothing unless Cognito’s own record lists the provider (fail closed: 401)', async () => {
    const { sut, rebinds } = setup({ rowElsewhere: true, identities: '[]' });
    await expect(sut.resolve(token, 'access', noRoute)).rejects.toMatchObject({ status: 401, code: 'unknown_user' });
    expect(rebinds).toEqual([]);
  });
});
