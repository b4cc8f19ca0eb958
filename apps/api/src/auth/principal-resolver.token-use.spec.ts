/**
 * `token_use` at the resolver: no route accepts Cognito ID tokens yet (no
 * `tokenUse: 'id'` in apps/), so the integration suite
 * (test/security/token-attacks.test.ts) can only send an ID token where an
 * access token is required. The reverse — an access token where an ID token is
 * required — is covered here with a real registry and a tiny fake user directory.
 */
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config.schema.js';
import type { DirectoryUser, TenantUserDirectory } from '../tenants/tenant-user-directory.js';
import type { TokenUse } from './access.decorators.js';
import { ForbiddenError, UnauthenticatedError } from './auth.errors.js';
import { IssuerRegistry, type TenantSnapshot } from './issuer-registry.js';
import { type Claims, PrincipalResolver } from './principal-resolver.js';
import type { TrustedIssuersService } from './trusted-issuers.service.js';

const ISSUER = 'http://127.0.0.1:9229/local_basicPool';
const CLIENT = 'basic-client';
const TENANT_ID = '6f0f3c1e-1111-4a1a-8a1a-000000000001';
const SUB = 'sub-alice';

const tenant: TenantSnapshot = {
  id: TENANT_ID,
  slug: 'acme',
  name: 'Acme',
  tier: 'basic',
  model: 'pool',
  status: 'active',
  region: 'us-east-1',
  userPoolId: 'local_basicPool',
  issuer: null,
  hosts: [],
  emailDomains: [],
  appClients: [],
  identityProviders: [],
  mfaPolicy: 'optional',
};

const alice: DirectoryUser = { id: 'user-alice', tenantId: TENANT_ID, email: 'alice@acme.test', status: 'active', role: 'member', mfaEnrolled: false };

function resolver(): PrincipalResolver {
  const registry = new IssuerRegistry(
    [{ key: 'basic', issuer: ISSUER, clientIds: [CLIENT], pool: { kind: 'tier', tier: 'basic', model: 'pool' } }],
    () => true,
  );
  registry.upsertTenant(TENANT_ID, tenant);
  const users = {
    cachedByIssuerSubject: () => undefined, // never cached: the resolver asks Postgres
    findByIssuerSubject: async (issuer: string, subject: string) => (issuer === ISSUER && subject === SUB ? alice : undefined),
    provisionJustInTime: async () => {
      throw new Error('no just-in-time users in this spec');
    },
  } as unknown as TenantUserDirectory;
  const config = { env: { PUBLIC_BASE_DOMAIN: 'app.test' } } as unknown as AppConfig;
  return new PrincipalResolver(config, { registry } as unknown as TrustedIssuersService, users);
}

const noRoute = { hostname: undefined, tenantHeader: undefined };

const accessToken: Claims = {
  iss: ISSUER,
  sub: SUB,
  token_use: 'access',
  client_id: CLIENT,
  username: 'alice',
  'cognito:groups': ['member'],
};
const idToken: Claims = {
  iss: ISSUER,
  sub: SUB,
  token_use: 'id',
  aud: CLIENT,
  'cognito:username': 'alice',
  'cognito:groups': ['member'],
  'custom:tenantId': TENANT_ID,
};

async function refusal(claims: Claims, tokenUse: TokenUse): Promise<UnauthenticatedError | ForbiddenError> {
  const error = await resolver()
    .resolve(claims, tokenUse, noRoute)
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  if (!(error instanceof UnauthenticatedError) && !(error instanceof ForbiddenError)) {
    throw new Error(`expected a refusal, got ${String(error)}`);
  }
  return error;
}

describe('PrincipalResolver token_use', () => {
  it('accepts an ID token where an ID token is required (control)', async () => {
    const principal = await resolver().resolve(idToken, 'id', noRoute);
    expect(principal).toMatchObject({ kind: 'tenant', context: { tenantId: TENANT_ID, userId: alice.id, roles: ['member'] } });
  });

  it('accepts an access token where an access token is required (control)', async () => {
    const principal = await resolver().resolve(accessToken, 'access', noRoute);
    expect(principal).toMatchObject({ kind: 'tenant', context: { tenantId: TENANT_ID, userId: alice.id } });
  });

  it('refuses an access token where an ID token is required → wrong_token_use', async () => {
    const error = await refusal(accessToken, 'id');
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error.code).toBe('wrong_token_use');
  });

  it('refuses an access token that also carries aud = the client where an ID token is required → wrong_token_use', async () => {
    const error = await refusal({ ...accessToken, aud: CLIENT }, 'id');
    expect(error.code).toBe('wrong_token_use');
  });

  it('refuses an ID token where an access token is required → wrong_token_use', async () => {
    const error = await refusal(idToken, 'access');
    expect(error.code).toBe('wrong_token_use');
  });

  it.each(['access', 'id'] as const)('refuses a Cognito token without token_use on a %s route → wrong_token_use', async (use) => {
    const { token_use: _dropped, ...claims } = use === 'access' ? accessToken : idToken;
    const error = await refusal({ ...claims, client_id: CLIENT, aud: CLIENT }, use);
    expect(error.code).toBe('wrong_token_use');
  });

  it('judges an ID token by aud, not client_id: aud another client → unknown_client', async () => {
    const error = await refusal({ ...idToken, aud: 'another-client', client_id: CLIENT }, 'id');
    expect(error.code).toBe('unknown_client');
  });
});
