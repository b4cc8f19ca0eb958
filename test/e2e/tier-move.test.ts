/**
 * Moving a live tenant between tiers on the emulator: pool → silo → bridge →
 * pool, with USERS users, while a load generator keeps calling the API with
 * tokens issued before each move. Every step of every move fails once (a
 * fault injected after its Cognito part, before it is recorded) and is
 * resumed with POST …/move/retry: nothing is duplicated. Half the users sign
 * in before cut-over (their password moves to the target while the tenant is
 * still served by the source), the others only after it (moved from the
 * source, which `keep_source` keeps until they have). The tenant's first admin,
 * invited at provisioning, never signs in: each move invites them again on the
 * target. At the end: every user signs in with their original password, the
 * invited admin has an account on the final pool bound to their row, the
 * tenant's data is unchanged, and nothing of the sources is left in Cognito.
 */
import { randomUUID } from 'node:crypto';
import {
  AdminGetUserCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InjectedFault } from '../../apps/api/src/tenants/provisioning/provisioning-faults.js';
import { TierMoveFaults } from '../../apps/api/src/tenants/tier-move/tier-move-faults.js';
import type { MoveStep } from '../../apps/api/src/tenants/tier-move/tier-move-state.js';
import { createCognitoUser } from '../support/cognito-users.js';
import { stackInfo } from '../support/database.js';
import { type Harness, type TenantJson, createTenant, startHarness } from './tenants-harness.js';

/** Users of the moved tenant (the 50). */
const USERS = 50;
const PASSWORD = 'Moving-Day-2026!';
/** Users with TOTP (one in each half): their secret cannot move, so they enrol again at their first sign-in on each target. */
const TOTP_USERS = [2, USERS - 2];

interface MovingUser {
  readonly email: string;
  readonly username: string;
  readonly userId: string;
  /** The user's current TOTP secret (what their authenticator app holds), if enrolled. */
  totpSecret?: string;
}

let h: Harness;
let tenant: TenantJson;
const users: MovingUser[] = [];
/** The tenant's first admin, invited at provisioning, who never signs in. */
let invitedUser: { id: string; username: string };

beforeAll(async () => {
  // Source tokens stay trusted for 1.5 s after cut-over here (an hour by default); sweeps every 300 ms resume waiting moves.
  h = await startHarness({
    TIER_MOVE_SOURCE_GRACE_MS: '1500',
    PROVISIONING_SWEEP_INTERVAL_MS: '300',
    PROVISIONING_LEASE_MS: '10000',
    // Every user signs in several times per move, all from one address.
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000',
    RATE_LIMIT_PER_TENANT: '100000',
    SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
  });
  ({ tenant } = await createTenant(h, { tier: 'basic' }));
  expect(tenant.status).toBe('active');
  const basic = stackInfo().sharedPools['basic']!;
  const invited = await h.privileged.user.findFirstOrThrow({ where: { tenantId: tenant.id } });
  for (let index = 0; index < USERS; index += 1) {
    const email = `user-${index}-${randomUUID().slice(0, 8)}@${tenant.slug}.test`;
    const created = await createCognitoUser(stackInfo(), 'basic', {
      email,
      password: PASSWORD,
      groups: [index === 0 ? 'admin' : 'member'],
      attributes: { 'custom:tenantId': tenant.id, 'custom:tenantTier': 'basic' },
    });
    const row = await h.privileged.user.create({
      data: {
        tenantId: tenant.id,
        email,
        username: created.username,
        issuer: basic.issuer,
        sub: created.sub,
        status: 'active',
        role: index === 0 ? 'admin' : 'member',
        emailVerified: true,
      },
    });
    users.push({ email, username: created.username, userId: row.id });
  }
  // The invited first admin never signs in: each move makes their target account and, at remove_source, invites them again
  // (the emulator has no RESEND; locally Gatehouse makes the account again with the invitation and binds its new sub).
  invitedUser = { id: invited.id, username: invited.username };
  for (const index of TOTP_USERS) {
    const user = users[index]!;
    const token = await signIn(user);
    const setup = await h.call('/v1/me/mfa/totp', { method: 'POST', token });
    expect(setup.status, setup.text).toBe(201);
    const verified = await h.call('/v1/me/mfa/totp/verify', { method: 'POST', token, body: { code: generateSync({ secret: setup.body.secretCode }) } });
    expect(verified.status, verified.text).toBe(204);
    user.totpSecret = setup.body.secretCode;
  }
}, 600_000);

afterAll(async () => {
  await h?.close();
});

/**
 * Signs the user in through the API, answering what a person would: their
 * TOTP code, or — on a target where their TOTP must be enrolled again — the
 * new secret's first code (the authenticator app then holds the new secret).
 */
async function signIn(user: MovingUser): Promise<string> {
  let response = await h.call('/v1/auth/sign-in', { method: 'POST', body: { tenant: tenant.slug, email: user.email, password: PASSWORD } });
  for (let round = 0; round < 3 && response.status === 200 && response.body.status === 'challenge'; round += 1) {
    const challenge = response.body.challenge as string;
    if (challenge === 'MFA_SETUP') user.totpSecret = response.body.mfaSetup.secretCode as string;
    expect(['MFA_SETUP', 'SOFTWARE_TOKEN_MFA'], `challenge ${challenge} for ${user.email}`).toContain(challenge);
    expect(user.totpSecret, `a TOTP challenge for ${user.email}, who has no authenticator`).toBeDefined();
    response = await h.call('/v1/auth/challenge', {
      method: 'POST',
      body: { tenant: tenant.slug, challenge, session: response.body.session, code: generateSync({ secret: user.totpSecret! }) },
    });
  }
  expect(response.status, response.text).toBe(200);
  expect(response.body.status).toBe('signed_in');
  return response.body.tokens.accessToken as string;
}

function issuerOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).iss as string;
}

/** Calls GET /v1/projects with each token in turn until stopped; every status is kept. */
function loadGenerator(tokens: readonly string[]) {
  const statuses: number[] = [];
  let running = true;
  const done = (async () => {
    for (let round = 0; running; round += 1) {
      const response = await h.call('/v1/projects', { token: tokens[round % tokens.length]! });
      statuses.push(response.status);
    }
  })();
  return {
    statuses,
    async stop() {
      running = false;
      await done;
    },
  };
}

async function moveView(): Promise<TenantJson> {
  const response = await h.admin(`/v1/admin/tenants/${tenant.id}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

/** Polls the tenant until `done` holds; POSTs …/move/retry whenever an injected fault stopped the move. */
async function driveMove(done: (view: TenantJson) => boolean, failures: string[]): Promise<TenantJson> {
  for (let attempt = 0; attempt < 3000; attempt += 1) {
    const view = await moveView();
    if (done(view)) return view;
    if (view.tierMove?.phase === 'failed') {
      failures.push(view.tierMove.lastError.step);
      expect(view.tierMove.lastError.code).toBe('InjectedFault');
      const retried = await h.admin(`/v1/admin/tenants/${tenant.id}/move/retry`, { method: 'POST' });
      expect(retried.status, retried.text).toBe(202);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the move did not get there in time');
}

async function expectNoSourceLeft(source: TenantJson): Promise<void> {
  if (source.isolationModel === 'silo') {
    await expect(h.cognito.send(new DescribeUserPoolCommand({ UserPoolId: source.userPoolId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    return;
  }
  for (const user of users) {
    await expect(h.cognito.send(new AdminGetUserCommand({ UserPoolId: source.userPoolId, Username: user.username }))).rejects.toMatchObject({
      name: 'UserNotFoundException',
    });
  }
  if (source.isolationModel === 'bridge') {
    const listed = await h.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: source.userPoolId, MaxResults: 60 }));
    const ids = (listed.UserPoolClients ?? []).map((client) => client.ClientId);
    for (const clientId of source.appClientIds as string[]) expect(ids).not.toContain(clientId);
  }
}

it(
  `moves a live tenant of ${USERS} users pool → silo → bridge → pool: no refused request, every password kept, nothing left behind`,
  async () => {
    const ownerToken = await signIn(users[0]!);
    const project = await h.call('/v1/projects', { method: 'POST', token: ownerToken, body: { name: 'Survives every move' } });
    expect(project.status, project.text).toBe(201);
    const projectsBefore = (await h.call('/v1/projects', { token: ownerToken })).body.items;

    for (const [tier, model] of [
      ['premium', 'silo'],
      ['standard', 'bridge'],
      ['basic', 'pool'],
    ] as const) {
      const source = await moveView();
      // Tokens from before the move, one per user, signed in where the tenant is served now.
      const preMoveTokens = await Promise.all(users.map((user) => signIn(user)));

      // Every step fails once after its Cognito part (worst moment: done but not recorded); cut-over also waits for the early sign-ins.
      const failedOnce = new Set<MoveStep>();
      let releaseCutOver!: () => void;
      const cutOverReleased = new Promise<void>((resolve) => {
        releaseCutOver = resolve;
      });
      h.api.app.get(TierMoveFaults).check = async (point) => {
        if (point.tenantId !== tenant.id) return;
        if (point.step === 'cut_over' && point.when === 'before') await cutOverReleased;
        if (point.when === 'after-effect' && !failedOnce.has(point.step)) {
          failedOnce.add(point.step);
          throw new InjectedFault(`injected after ${point.step}`);
        }
      };

      const load = loadGenerator(preMoveTokens);
      const started = await h.admin(`/v1/admin/tenants/${tenant.id}/move`, { method: 'POST', body: { tier, unmigratedUsers: 'keep_source', acceptMfaReenrolment: true } });
      expect(started.status, started.text).toBe(202);
      expect(started.body.tierMove).toMatchObject({ fromTier: source.tier, toTier: tier, toModel: model });

      const failures: string[] = [];
      await driveMove((view) => view.tierMove.steps.some((step: { name: string; done: boolean }) => step.name === 'copy_users' && step.done), failures);
      // Before cut-over: the first half signs in; their passwords move and they are served by the target already.
      const early = users.slice(0, USERS / 2);
      for (const user of early) {
        const token = await signIn(user);
        const served = await h.call('/v1/projects', { token });
        expect(served.status, served.text).toBe(200);
      }
      const earlyIssuer = issuerOf(await signIn(early[0]!));
      expect(earlyIssuer).not.toBe(source.issuer);
      releaseCutOver();

      const cutOver = await driveMove((view) => view.isolationModel === model, failures);
      expect(cutOver.tier).toBe(tier);
      // The load generator ran across the whole move up to cut-over and beyond: never refused, never a server error.
      await load.stop();
      expect(load.statuses.length).toBeGreaterThan(0);
      expect(load.statuses.filter((status) => status !== 200)).toEqual([]);

      // After cut-over: the second half signs in for the first time since the move, with the same password.
      for (const user of users.slice(USERS / 2)) {
        const token = await signIn(user);
        expect(issuerOf(token)).toBe(cutOver.issuer);
      }

      const moved = await driveMove((view) => view.tierMove.phase === 'moved', failures);
      // Every step that ran failed once and was resumed without duplicates.
      expect(new Set(failures)).toEqual(new Set(moved.tierMove.steps.map((step: { name: string }) => step.name)));
      expect(moved.tierMove.copiedUsers).toBe(USERS + 1);
      expect(await h.privileged.tierMoveIdentity.count({ where: { tenantId: tenant.id } })).toBe(0);
      await expectNoSourceLeft(source);
      expect(moved.appClientIds.length).toBe(model === 'pool' ? 0 : 2);
    }

    // Afterwards: everyone signs in with their original password, and the data is as it was.
    for (const user of users) expect(issuerOf(await signIn(user))).toBe(stackInfo().sharedPools['basic']!.issuer);
    const projectsAfter = (await h.call('/v1/projects', { token: await signIn(users[0]!) })).body.items;
    expect(projectsAfter).toEqual(projectsBefore);
    const userIds = (await h.privileged.user.findMany({ where: { tenantId: tenant.id }, select: { id: true } })).map((row) => row.id);
    for (const user of users) expect(userIds).toContain(user.userId);
    // The user who never signed in came along too: invited again on the final pool, Gatehouse's row bound to that account.
    const invitedRow = await h.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenant.id, id: invitedUser.id } } });
    expect(invitedRow.status).toBe('pending');
    const basicPool = stackInfo().sharedPools['basic']!;
    const invitedAccount = await h.cognito.send(new AdminGetUserCommand({ UserPoolId: basicPool.userPoolId, Username: invitedUser.username }));
    expect(invitedAccount.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    expect({ issuer: invitedRow.issuer, sub: invitedRow.sub }).toEqual({
      issuer: basicPool.issuer,
      sub: invitedAccount.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value,
    });
    const audit = await h.privileged.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.moved' } });
    expect(audit).toHaveLength(3);
    // TOTP users enrolled again once per move, each time audited; they still have TOTP at the end.
    for (const index of TOTP_USERS) {
      const reenrolled = await h.privileged.auditEvent.count({ where: { tenantId: tenant.id, action: 'user.mfa.reenrolment_required', target: `user:${users[index]!.userId}` } });
      expect(reenrolled).toBe(3);
      expect((await h.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenant.id, id: users[index]!.userId } } })).mfaEnrolled).toBe(true);
    }
  },
  1_200_000,
);
