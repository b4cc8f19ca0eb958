/**
 * `npm run bench -- --only=tier-move`: the time to move a tenant of 1,000
 * users from the pool tier to its own silo pool on the Cognito emulator,
 * through the operators' API: POST …/move, then polling GET
 * /v1/admin/tenants/{id}
 *
 * - until cut-over: target pool, clients and groups created, every user
 *   recorded for the target (users with a password are deferred: their target
 *   account is made once the password is known), the tenant served by the target;
 * - until the move has finished: after a short grace, with `reset_password`,
 *   `remove_source` makes every deferred user's target account (with Cognito's
 *   invitation) and removes the source — the whole identity side moved.
 *
 * One sign-in that migrates a password (and so makes that user's target
 * account) is timed apart, before the grace ends. Written to bench/results/tier-move.md.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory.js';
import { loadConfig } from '../../apps/api/src/config/config.schema.js';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import type { BenchWorld } from './bench-world.js';
import { round } from './stats.js';

export const TIER_MOVE_USERS = 1000;
const PASSWORD = 'Moving-Bench-2026!';
const SETUP_CONCURRENCY = 8;
const POLL_MS = 100;
/** Long enough for the two timed sign-ins after cut-over to happen before the source goes. */
const GRACE_MS = 3000;

export interface TierMoveResults {
  readonly users: number;
  readonly from: string;
  readonly to: string;
  /** POST …/move → cut-over recorded. */
  readonly toCutOverMs: number;
  readonly usersPerSecond: number;
  /** POST …/move → the move finished: every user's target account made, the source removed. */
  readonly toFinishMs: number;
  /** Target accounts `remove_source` made per second (drain_source done → remove_source done). */
  readonly accountsPerSecond: number;
  /** Steps with their completion, ms after the POST. */
  readonly steps: { readonly name: string; readonly atMs: number }[];
  /** One Gatehouse sign-in after cut-over that moves the password (source check, AdminSetUserPassword, target sign-in). */
  readonly migratingSignInMs: number;
  /** The same user's next sign-in (target only). */
  readonly migratedSignInMs: number;
}

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

export async function runTierMoveBench(world: BenchWorld, log: (line: string) => void): Promise<TierMoveResults> {
  const { createLocalOperator, signInLocalOperator } = await import('../../tools/local-stack/seed.js');
  const config = loadConfig(
    apiEnvironment(world.stack, {
      LOG_LEVEL: 'silent',
      PROVISIONING_SWEEP_INTERVAL_MS: '500',
      TIER_MOVE_SOURCE_GRACE_MS: String(GRACE_MS),
      RATE_LIMIT_NAMESPACE: `bench-${randomUUID()}`,
    }),
  );
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
  try {
    const address = app.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('no TCP port');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const operatorsPool = world.stack.sharedPools['operators']!;
    const operatorPool = { userPoolId: operatorsPool.userPoolId, clientId: operatorsPool.clientId! };
    const operator = await createLocalOperator(cognito, operatorPool, { email: `ops-${randomUUID().slice(0, 8)}@bench.test`, password: `Operator-${randomUUID()}` });
    const { accessToken } = await signInLocalOperator(cognito, operatorPool, operator);
    const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, never> };
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const get = async (path: string): Promise<any> => (await fetch(`${baseUrl}${path}`, { headers })).json();

    const slug = `bench-move-${randomUUID().slice(0, 8)}`;
    const created = await post('/v1/admin/tenants', { name: `Bench ${slug}`, slug, tier: 'basic', firstAdminEmail: `admin@${slug}.bench.test` });
    if (created.status !== 202) throw new Error(`POST /v1/admin/tenants answered ${created.status}`);
    const tenantId = created.body['id'] as string;
    for (let tenant = await get(`/v1/admin/tenants/${tenantId}`); tenant.status !== 'active'; tenant = await get(`/v1/admin/tenants/${tenantId}`)) {
      if (tenant.status === 'failed') throw new Error('the bench tenant failed to provision');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }

    log(`tier move: creating ${TIER_MOVE_USERS} users in the basic pool`);
    const basic = world.stack.sharedPools['basic']!;
    const db = new pg.Pool({ connectionString: world.adminDatabaseUrl, max: SETUP_CONCURRENCY });
    const emails = Array.from({ length: TIER_MOVE_USERS }, (_, index) => `user-${index}@${slug}.bench.test`);
    try {
      await inBatches(emails, SETUP_CONCURRENCY, async (email) => {
        const username = randomUUID();
        await cognito.send(
          new AdminCreateUserCommand({
            UserPoolId: basic.userPoolId,
            Username: username,
            MessageAction: 'SUPPRESS',
            UserAttributes: [
              { Name: 'email', Value: email },
              { Name: 'email_verified', Value: 'true' },
              { Name: 'custom:tenantId', Value: tenantId },
              { Name: 'custom:tenantTier', Value: 'basic' },
            ],
          }),
        );
        await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: basic.userPoolId, Username: username, Password: PASSWORD, Permanent: true }));
        await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: basic.userPoolId, Username: username, GroupName: 'member' }));
        const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: basic.userPoolId, Username: username }));
        const sub = user.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
        await db.query(
          `INSERT INTO users (tenant_id, email, username, issuer, sub, status, role, email_verified) VALUES ($1, $2, $3, $4, $5, 'active', 'member', true)`,
          [tenantId, email, username, basic.issuer, sub],
        );
      });
    } finally {
      await db.end();
    }

    log(`tier move: moving ${TIER_MOVE_USERS + 1} users basic → premium`);
    const started = performance.now();
    const moved = await post(`/v1/admin/tenants/${tenantId}/move`, { tier: 'premium', unmigratedUsers: 'reset_password' });
    if (moved.status !== 202) throw new Error(`POST …/move answered ${moved.status}: ${JSON.stringify(moved.body).slice(0, 300)}`);
    const stepsAt = new Map<string, number>();
    const until = async (step: string) => {
      for (;;) {
        const tenant = await get(`/v1/admin/tenants/${tenantId}`);
        for (const done of tenant.tierMove.steps as { name: string; done: boolean }[]) {
          if (done.done && !stepsAt.has(done.name)) stepsAt.set(done.name, round(performance.now() - started));
        }
        if (tenant.tierMove.phase === 'failed') throw new Error(`the move failed: ${JSON.stringify(tenant.tierMove.lastError)}`);
        if (stepsAt.has(step)) return stepsAt.get(step)!;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    };
    const toCutOverMs = await until('cut_over');

    const signIn = async () => {
      const before = performance.now();
      const response = await fetch(`${baseUrl}/v1/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: slug, email: emails[0], password: PASSWORD }),
      });
      if (response.status !== 200) throw new Error(`sign-in after the move answered ${response.status}`);
      return round(performance.now() - before);
    };
    const migratingSignInMs = await signIn();
    const migratedSignInMs = await signIn();
    const toFinishMs = await until('finish');
    const accountsMs = stepsAt.get('remove_source')! - stepsAt.get('drain_source')!;
    const results: TierMoveResults = {
      users: TIER_MOVE_USERS + 1,
      from: 'basic (pool)',
      to: 'premium (silo)',
      toCutOverMs,
      usersPerSecond: round(((TIER_MOVE_USERS + 1) / toCutOverMs) * 1000, 1),
      toFinishMs,
      accountsPerSecond: round((TIER_MOVE_USERS / Math.max(accountsMs, 1)) * 1000, 1),
      steps: [...stepsAt.entries()].map(([name, atMs]) => ({ name, atMs })),
      migratingSignInMs,
      migratedSignInMs,
    };
    log(`tier move: ${results.users} users to cut-over in ${toCutOverMs} ms (${results.usersPerSecond} users/s), finished in ${toFinishMs} ms`);
    return results;
  } finally {
    cognito.destroy();
    await app.close();
  }
}

export function renderTierMove(results: TierMoveResults | { error: string } | undefined): string[] {
  if (!results) return [];
  if ('error' in results) return ['## Tier move', '', `Not measured: ${results.error}`, ''];
  return [
    '## Tier move',
    '',
    `A tenant of ${results.users} users moved ${results.from} → ${results.to} on the Cognito emulator, through \`POST /v1/admin/tenants/{id}/move\`,`,
    'polled until cut-over (target pool, clients, groups; every user recorded for the target — users with a password are deferred,',
    'their account made once the password is known —; the tenant served by the target) and until the move finished',
    `(after a ${GRACE_MS / 1000} s grace, \`reset_password\`: \`remove_source\` made every remaining user's target account with Cognito's`,
    'invitation and removed the source). One user signed in before the grace ended, which moved their password.',
    '',
    '| measure | value |',
    '|---|---|',
    `| POST → cut-over | ${results.toCutOverMs} ms |`,
    `| users recorded for the target per second (to cut-over) | ${results.usersPerSecond} |`,
    `| POST → move finished (every account on the target, source removed) | ${results.toFinishMs} ms |`,
    `| target accounts made per second at remove_source | ${results.accountsPerSecond} |`,
    `| first sign-in after the move (password migrated) | ${results.migratingSignInMs} ms |`,
    `| next sign-in (target only) | ${results.migratedSignInMs} ms |`,
    '',
    '| step | done at (ms after POST) |',
    '|---|---|',
    ...results.steps.map((step) => `| ${step.name} | ${step.atMs} |`),
    '',
  ];
}

export async function writeTierMoveResults(dir: string, results: TierMoveResults | { error: string }): Promise<string> {
  const path = join(dir, 'tier-move.md');
  await writeFile(path, ['# Tier-move benchmark', '', ...renderTierMove(results)].join('\n'));
  return path;
}
