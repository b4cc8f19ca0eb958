/**
 * The benchmark's world on the embedded local stack: one tenant per isolation
 * model (pool, bridge, silo), each with an admin user in Cognito (emulator) and
 * in `users`, and 40 projects, plus real access tokens from the emulator for
 * each user. Built the way test/support/world.ts builds its world (that file
 * uses vitest's inject(), so it is not imported here).
 *
 * `mint()` signs fresh tokens with the emulator's published key (the same key
 * and the same claims as the emulator's own tokens, only a new `jti`/`iat`),
 * so a verification benchmark can present thousands of never-seen tokens
 * without thousands of sign-ins.
 */
import { createRequire } from 'node:module';
import { createPrivateKey, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type LocalStack, type LocalStackInfo, startLocalStack } from '../../tools/local-stack/stack.js';
import { createAppClient, createCognitoUser, createUserPool, signInWithPassword } from '../support/cognito-users.js';

export type Model = 'pool' | 'bridge' | 'silo';
export const MODELS: readonly Model[] = ['pool', 'bridge', 'silo'];

export interface BenchTenant {
  readonly model: Model;
  readonly id: string;
  readonly slug: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly userId: string;
  readonly sub: string;
  /** A real access token from the emulator (USER_PASSWORD_AUTH). */
  readonly accessToken: string;
}

export interface BenchWorld {
  readonly stack: LocalStackInfo;
  /** Superuser URL of the benchmark database (bypasses row-level security). */
  readonly adminDatabaseUrl: string;
  readonly tenants: Record<Model, BenchTenant>;
  readonly projectsPerTenant: number;
  /** A new, never-seen access token for the tenant's user: same claims as its real token, new jti/iat. */
  mint(model: Model): string;
  close(): Promise<void>;
}

const PASSWORD = 'Correct-Horse-42-battery';
const PROJECTS_PER_TENANT = 40;

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function emulatorSigningKey(): KeyObject {
  const require = createRequire(import.meta.url);
  const { pem } = require('cognito-local/lib/keys/cognitoLocal.private.json') as { pem: string };
  return createPrivateKey(pem);
}

export function adminUrlFor(info: LocalStackInfo): string {
  const url = new URL(info.adminUrl);
  url.pathname = `/${info.database}`;
  return url.toString();
}

export async function buildBenchWorld(log: (line: string) => void): Promise<BenchWorld> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      databaseUrl: process.env['DATABASE_URL'],
      dataDir,
      database: `gatehouse_bench_${randomUUID().slice(0, 8)}`,
      deployment: 'gatehouse-bench',
      postgresPort: 0,
      cognitoPort: 0,
    });
    const info = stack.info;
    const adminDatabaseUrl = adminUrlFor(info);
    const admin = new pg.Client({ connectionString: adminDatabaseUrl });
    await admin.connect();
    const tenants = {} as Record<Model, BenchTenant>;
    try {
      for (const model of MODELS) tenants[model] = await addTenant(info, admin, model);
    } finally {
      await admin.end();
    }
    log(`world: 3 tenants (pool, bridge, silo), ${PROJECTS_PER_TENANT} projects each, real emulator tokens`);

    const key = emulatorSigningKey();
    const finalStack = stack;
    return {
      stack: info,
      adminDatabaseUrl,
      tenants,
      projectsPerTenant: PROJECTS_PER_TENANT,
      mint(model) {
        const real = tenants[model].accessToken;
        const header = decodePart(real, 0);
        const payload = decodePart(real, 1);
        const now = Math.floor(Date.now() / 1000);
        const fresh = { ...payload, jti: randomUUID(), iat: now, auth_time: now, exp: now + 3600 };
        const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(fresh))}`;
        return `${input}.${cryptoSign('sha256', Buffer.from(input), key).toString('base64url')}`;
      },
      async close() {
        await finalStack.stop({ dropDatabase: true });
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stack?.stop({ dropDatabase: true }).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function addTenant(info: LocalStackInfo, admin: pg.Client, model: Model): Promise<BenchTenant> {
  const slug = `bench-${model}-${randomUUID().slice(0, 6)}`;
  const tier = model === 'pool' ? 'basic' : model === 'bridge' ? 'standard' : 'premium';
  let userPoolId: string;
  let issuer: string;
  let clientId: string;
  if (model === 'pool') {
    const basic = info.sharedPools['basic']!;
    ({ userPoolId, issuer } = basic);
    clientId = basic.clientId!;
  } else if (model === 'bridge') {
    const standard = info.sharedPools['standard']!;
    ({ userPoolId, issuer } = standard);
    clientId = await createAppClient(info, userPoolId, `${info.deployment}-${slug}`);
  } else {
    const pool = await createUserPool(info, slug);
    ({ userPoolId, issuer, clientId } = pool);
  }
  const { rows } = await admin.query<{ id: string }>(
    `INSERT INTO tenants (id, slug, name, tier, isolation_model, status, region, user_pool_id, issuer)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, 'active', 'us-east-1', $5, $6) RETURNING id`,
    [slug, `Tenant ${slug}`, tier, model, userPoolId, model === 'pool' ? null : issuer],
  );
  const tenantId = rows[0]!.id;
  if (model !== 'pool') {
    // A bridge or silo tenant has its public client and its own Gatehouse client (as provisioning creates them);
    // without the latter the identity routes (and /v1/me) answer 409 tenant_not_ready.
    const gatehouseClientId = await createAppClient(info, userPoolId, `${info.deployment}-${slug}-gatehouse`);
    for (const [id, role] of [
      [clientId, 'public'],
      [gatehouseClientId, 'gatehouse'],
    ] as const) {
      await admin.query(
        `INSERT INTO tenant_app_clients (id, tenant_id, client_id, user_pool_id, issuer, role) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)`,
        [tenantId, id, userPoolId, issuer, role],
      );
    }
  }
  const email = `admin@${slug}.bench.test`;
  const cognitoUser = await createCognitoUser(info, userPoolId, {
    email,
    password: PASSWORD,
    groups: ['admin'],
    attributes: { 'custom:tenantId': tenantId, 'custom:tenantTier': tier },
  });
  const user = await admin.query<{ id: string }>(
    `INSERT INTO users (id, tenant_id, email, username, issuer, sub, status, role, email_verified)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'active', 'admin', true) RETURNING id`,
    [tenantId, email, cognitoUser.username, issuer, cognitoUser.sub],
  );
  const userId = user.rows[0]!.id;
  await admin.query(
    `INSERT INTO projects (id, tenant_id, owner_id, name, description, created_at, updated_at)
     SELECT gen_random_uuid(), $1, $2, 'Project ' || n, 'Benchmark project ' || n,
            now() - make_interval(secs => n), now() - make_interval(secs => n)
     FROM generate_series(1, $3::int) AS n`,
    [tenantId, userId, PROJECTS_PER_TENANT],
  );
  const tokens = await signInWithPassword(info, clientId, cognitoUser.username, PASSWORD);
  return { model, id: tenantId, slug, issuer, clientId, userId, sub: cognitoUser.sub, accessToken: tokens.accessToken };
}
