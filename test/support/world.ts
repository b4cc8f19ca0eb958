/**
 * A populated Gatehouse for security and end-to-end suites, built through the
 * real components only: the API on a loopback port, tenant rows written as the
 * tenants module writes them, Cognito pools/clients/users in the emulator, a
 * real `oidc-provider` as one tenant's own IdP, and a fixture-key IdP whose
 * JWKS endpoint the tests control (outages, key rotation, forged claims).
 *
 *   poolA, poolB    `basic` tier, pool model: shared pool + client, users carry custom:tenantId
 *   bridgeC, bridgeD `standard` tier, bridge model: one app client each in the shared pool
 *   siloE           `premium` tier, silo model: its own user pool
 *   oidcF           `basic` tier tenant trusting a real oidc-provider (federation)
 *   fixtureG        `basic` tier tenant trusting a JWKS server with keys made at test time
 *
 * Every Cognito tenant has an admin, a member and a viewer.
 */
import { request as httpRequest } from 'node:http';
import type { TenantRole } from '@gatehouse/tiers';
import { TrustedIssuersService } from '../../apps/api/src/auth/trusted-issuers.service.js';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import type { LocalStackInfo } from '../../tools/local-stack/stack.js';
import { type RunningApi, startApi, testConfig } from './app.js';
import {
  type CognitoTokens,
  createAppClient,
  createCognitoUser,
  createUserPool,
  signInWithPassword,
} from './cognito-users.js';
import { privilegedClient, stackInfo } from './database.js';
import { uniqueEmail, uniqueSlug } from './factories.js';
import { type JwksServer, startJwksServer } from './jwks-server.js';
import { type TestKey, generateRsaKey, signJwt } from './jwt.js';
import { type TestOidcProvider, startOidcProvider } from './oidc-provider.js';

export const PUBLIC_BASE_DOMAIN = 'app.test';
export const PASSWORD = 'Correct-Horse-42-battery';

export type TenantKey = 'poolA' | 'poolB' | 'bridgeC' | 'bridgeD' | 'siloE' | 'oidcF' | 'fixtureG';
export type CognitoTenantKey = 'poolA' | 'poolB' | 'bridgeC' | 'bridgeD' | 'siloE';

export interface WorldTenant {
  readonly key: TenantKey;
  readonly id: string;
  readonly slug: string;
  readonly model: 'pool' | 'bridge' | 'silo';
  /** `<slug>.app.test`: a route hint naming this tenant. */
  readonly host: string;
  /** The Cognito issuer its users' tokens carry (shared or own pool). */
  readonly issuer: string;
  /** The app client its users sign in with. */
  readonly clientId: string;
}

export interface WorldUser {
  readonly tenant: WorldTenant;
  readonly role: TenantRole;
  readonly email: string;
  readonly username: string;
  readonly sub: string;
  readonly userId: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // Parsed JSON that suites index freely (response.body.code, .items[0].id); the assertions type-check the values.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly text: string;
}

export interface CallOptions {
  readonly method?: string;
  readonly token?: string;
  readonly authorization?: string;
  readonly host?: string;
  readonly tenantHeader?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface World {
  readonly api: RunningApi;
  readonly stack: LocalStackInfo;
  readonly privileged: PrismaClient;
  readonly tenants: Record<TenantKey, WorldTenant>;
  readonly users: Record<CognitoTenantKey, Record<TenantRole, WorldUser>>;
  readonly oidc: TestOidcProvider;
  readonly oidcClientId: string;
  readonly fixtureIdp: JwksServer;
  readonly fixtureKey: TestKey;
  readonly fixtureAudience: string;
  tokens(user: WorldUser): Promise<CognitoTokens>;
  /** A token from the fixture IdP (tenant fixtureG), signed with `fixtureKey` unless overridden. */
  fixtureToken(claims?: Record<string, unknown>, options?: { key?: TestKey; kid?: string; header?: Record<string, unknown> }): string;
  call(path: string, options?: CallOptions): Promise<HttpResponse>;
  refresh(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

/** Plain node:http so the test controls every header, Host included. */
export function call(baseUrl: string, path: string, options: CallOptions = {}): Promise<HttpResponse> {
  const url = new URL(path, baseUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (options.authorization !== undefined) headers['authorization'] = options.authorization;
  if (options.host) headers['host'] = options.host;
  if (options.tenantHeader !== undefined) headers['x-tenant-id'] = options.tenantHeader;
  const payload = options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: options.method ?? 'GET', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function insertTenant(
  privileged: PrismaClient,
  input: { tier: string; model: 'pool' | 'bridge' | 'silo'; userPoolId?: string; issuer?: string },
) {
  const slug = uniqueSlug(input.model);
  return privileged.tenant.create({
    data: {
      slug,
      name: `Tenant ${slug}`,
      tier: input.tier,
      isolationModel: input.model,
      status: 'active',
      region: 'us-east-1',
      userPoolId: input.userPoolId ?? null,
      issuer: input.issuer ?? null,
    },
  });
}

/** @param configOverrides extra API settings, e.g. throttling limits for a suite. */
export async function buildWorld(configOverrides: Record<string, string> = {}): Promise<World> {
  const stack = stackInfo();
  const privileged = privilegedClient();
  const api = await startApi(testConfig({ PUBLIC_BASE_DOMAIN, JWKS_REFETCH_COOLDOWN_SECONDS: '30', ...configOverrides }));
  const issuers = api.app.get(TrustedIssuersService);
  const basic = stack.sharedPools['basic']!;
  const standard = stack.sharedPools['standard']!;

  const tenants = {} as Record<TenantKey, WorldTenant>;
  const users = {} as Record<CognitoTenantKey, Record<TenantRole, WorldUser>>;

  async function addCognitoTenant(key: CognitoTenantKey, model: 'pool' | 'bridge' | 'silo') {
    let tenant: WorldTenant;
    if (model === 'pool') {
      const row = await insertTenant(privileged, { tier: 'basic', model, userPoolId: basic.userPoolId });
      tenant = { key, id: row.id, slug: row.slug, model, host: `${row.slug}.${PUBLIC_BASE_DOMAIN}`, issuer: basic.issuer, clientId: basic.clientId! };
    } else if (model === 'bridge') {
      const row = await insertTenant(privileged, { tier: 'standard', model, userPoolId: standard.userPoolId });
      const clientId = await createAppClient(stack, standard.userPoolId, `${stack.deployment}-${row.slug}`);
      const gatehouseClientId = await createAppClient(stack, standard.userPoolId, `${stack.deployment}-${row.slug}-gatehouse`, 'gatehouse');
      await privileged.tenantAppClient.create({
        data: { tenantId: row.id, clientId, userPoolId: standard.userPoolId, issuer: standard.issuer },
      });
      await privileged.tenantAppClient.create({
        data: { tenantId: row.id, clientId: gatehouseClientId, userPoolId: standard.userPoolId, issuer: standard.issuer, role: 'gatehouse' },
      });
      tenant = { key, id: row.id, slug: row.slug, model, host: `${row.slug}.${PUBLIC_BASE_DOMAIN}`, issuer: standard.issuer, clientId };
    } else {
      const slug = uniqueSlug('silo');
      const pool = await createUserPool(stack, slug);
      const row = await privileged.tenant.create({
        data: {
          slug,
          name: `Tenant ${slug}`,
          tier: 'premium',
          isolationModel: 'silo',
          status: 'active',
          region: 'us-east-1',
          userPoolId: pool.userPoolId,
          issuer: pool.issuer,
        },
      });
      await privileged.tenantAppClient.create({
        data: { tenantId: row.id, clientId: pool.clientId, userPoolId: pool.userPoolId, issuer: pool.issuer },
      });
      await privileged.tenantAppClient.create({
        data: { tenantId: row.id, clientId: pool.gatehouseClientId, userPoolId: pool.userPoolId, issuer: pool.issuer, role: 'gatehouse' },
      });
      tenant = { key, id: row.id, slug, model, host: `${slug}.${PUBLIC_BASE_DOMAIN}`, issuer: pool.issuer, clientId: pool.clientId };
    }
    tenants[key] = tenant;
    const poolId = model === 'pool' ? basic.userPoolId : model === 'bridge' ? standard.userPoolId : tenant.issuer.split('/').at(-1)!;
    const byRole = {} as Record<TenantRole, WorldUser>;
    for (const role of ['admin', 'member', 'viewer'] as const) {
      const email = uniqueEmail(`${tenant.slug}.test`);
      const cognitoUser = await createCognitoUser(stack, poolId, {
        email,
        password: PASSWORD,
        groups: [role],
        attributes: { 'custom:tenantId': tenant.id, 'custom:tenantTier': model === 'silo' ? 'premium' : model === 'bridge' ? 'standard' : 'basic' },
      });
      const row = await privileged.user.create({
        data: {
          tenantId: tenant.id,
          email,
          username: cognitoUser.username,
          issuer: tenant.issuer,
          sub: cognitoUser.sub,
          role,
          status: 'active',
          emailVerified: true,
        },
      });
      byRole[role] = { tenant, role, email, username: cognitoUser.username, sub: cognitoUser.sub, userId: row.id };
    }
    users[key] = byRole;
  }

  await addCognitoTenant('poolA', 'pool');
  await addCognitoTenant('poolB', 'pool');
  await addCognitoTenant('bridgeC', 'bridge');
  await addCognitoTenant('bridgeD', 'bridge');
  await addCognitoTenant('siloE', 'silo');

  // A tenant trusting its own OpenID Connect provider.
  const oidcClientId = `gatehouse-${uniqueSlug('spa')}`;
  const oidc = await startOidcProvider({
    clients: [{ client_id: oidcClientId, redirect_uris: ['http://127.0.0.1/callback'] }],
    accounts: {
      alice: { email: uniqueEmail('oidc-f.test'), groups: ['acme-admins'] },
      bob: { email: uniqueEmail('oidc-f.test'), groups: ['staff'] },
    },
  });
  const oidcRow = await insertTenant(privileged, { tier: 'basic', model: 'pool' });
  await forgetStaleIssuer(privileged, oidc.issuer);
  await privileged.tenantIdentityProvider.create({
    data: {
      tenantId: oidcRow.id,
      issuer: oidc.issuer,
      audience: oidcClientId,
      jwksUri: oidc.jwksUri,
      claimMapping: { email: 'email', groups: 'groups', roleMap: { 'acme-admins': 'admin' }, defaultRole: 'member' },
    },
  });
  tenants.oidcF = { key: 'oidcF', id: oidcRow.id, slug: oidcRow.slug, model: 'pool', host: `${oidcRow.slug}.${PUBLIC_BASE_DOMAIN}`, issuer: oidc.issuer, clientId: oidcClientId };

  // A tenant trusting an IdP whose keys and JWKS endpoint the tests control.
  const fixtureKey = generateRsaKey();
  const fixtureIdp = await startJwksServer({ path: `/idp-g-${uniqueSlug('g')}`, keys: [fixtureKey] });
  const fixtureAudience = `gatehouse-${uniqueSlug('g')}`;
  const fixtureRow = await insertTenant(privileged, { tier: 'basic', model: 'pool' });
  await privileged.tenantIdentityProvider.create({
    data: {
      tenantId: fixtureRow.id,
      issuer: fixtureIdp.issuer,
      audience: fixtureAudience,
      jwksUri: fixtureIdp.jwksUri,
      claimMapping: { roleMap: { admins: 'admin', viewers: 'viewer' }, defaultRole: 'member' },
    },
  });
  tenants.fixtureG = { key: 'fixtureG', id: fixtureRow.id, slug: fixtureRow.slug, model: 'pool', host: `${fixtureRow.slug}.${PUBLIC_BASE_DOMAIN}`, issuer: fixtureIdp.issuer, clientId: fixtureAudience };

  for (const tenant of Object.values(tenants)) await issuers.refreshTenant(tenant.id);

  const tokenCache = new Map<string, CognitoTokens>();
  return {
    api,
    stack,
    privileged,
    tenants,
    users,
    oidc,
    oidcClientId,
    fixtureIdp,
    fixtureKey,
    fixtureAudience,
    async tokens(user) {
      const cached = tokenCache.get(user.userId);
      if (cached) return cached;
      const tokens = await signInWithPassword(stack, user.tenant.clientId, user.username, PASSWORD);
      tokenCache.set(user.userId, tokens);
      return tokens;
    },
    fixtureToken(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const key = options.key ?? fixtureKey;
      return signJwt(
        {
          iss: fixtureIdp.issuer,
          aud: fixtureAudience,
          sub: 'fixture-user-1',
          email: 'fixture-user-1@fixture-g.test',
          iat: now,
          exp: now + 300,
          ...claims,
        },
        { alg: 'RS256', key: key.privateKey, kid: options.kid ?? key.kid, ...(options.header ? { header: options.header } : {}) },
      );
    },
    call: (path, options) => call(api.baseUrl, path, options),
    refresh: (tenantId) => issuers.refreshTenant(tenantId),
    async close() {
      await api.close();
      await oidc.stop();
      await fixtureIdp.stop();
      await privileged.$disconnect();
    },
  };
}

/**
 * A test OIDC provider's issuer is `http://127.0.0.1:<port>`, and the OS hands a port
 * back out once a finished suite closed its provider: that suite's row (issuers are
 * unique) is dead by then — nothing listens on the port but the new provider — so the
 * new suite takes the issuer over instead of failing on the unique key.
 */
export async function forgetStaleIssuer(privileged: Pick<PrismaClient, 'tenantIdentityProvider'>, issuer: string): Promise<void> {
  await privileged.tenantIdentityProvider.deleteMany({ where: { issuer } });
}
