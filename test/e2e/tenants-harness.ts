/**
 * Shared by the tenants and users end-to-end suites: the API on the test
 * stack, a platform operator (real operators' pool sign-in with TOTP), tenant
 * creation through the operators' API, and a first sign-in with the temporary
 * password Cognito "e-mailed" (the emulator writes it to its log).
 */
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { expect } from 'vitest';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import { createEmulatorClient, parseCodeDeliveries } from '../../tools/local-stack/cognito.js';
import type { LocalStackInfo } from '../../tools/local-stack/stack.js';
import { createLocalOperator, signInLocalOperator } from '../../tools/local-stack/seed.js';
import { type RunningApi, startApi, testConfig } from '../support/app.js';
import { createCognitoUser } from '../support/cognito-users.js';
import { privilegedClient, stackInfo } from '../support/database.js';
import { uniqueEmail, uniqueSlug } from '../support/factories.js';
import { type CallOptions, type HttpResponse, call } from '../support/world.js';

/** A tenant as the operators' API returns it (JSON; the suites read fields freely). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TenantJson = any;

export const NEW_PASSWORD = 'Fresh-Password-2026!';

export interface Harness {
  /** The stack it runs on (the run's, or a suite's own emulator with the run's database). */
  readonly stack: LocalStackInfo;
  readonly api: RunningApi;
  readonly privileged: PrismaClient;
  readonly cognito: CognitoIdentityProviderClient;
  readonly operatorToken: string;
  call(path: string, options?: CallOptions): Promise<HttpResponse>;
  /** As the operator. */
  admin(path: string, options?: CallOptions): Promise<HttpResponse>;
  close(): Promise<void>;
}

/**
 * @param configOverrides extra API settings (e.g. shorter leases for a suite).
 * @param stack another Cognito emulator than the run's (same database), for a suite that needs one of its own.
 */
export async function startHarness(configOverrides: Record<string, string> = {}, stack: LocalStackInfo = stackInfo()): Promise<Harness> {
  const api = await startApi(testConfig(configOverrides, stack));
  const privileged = privilegedClient();
  const cognito = createEmulatorClient(stack.cognitoEndpoint, stack.region);
  const operatorsPool = stack.sharedPools['operators']!;
  const pool = { userPoolId: operatorsPool.userPoolId, clientId: operatorsPool.clientId! };
  const operator = await createLocalOperator(cognito, pool, { email: uniqueEmail('ops.test'), password: `Operator-${randomUUID()}` });
  const { accessToken } = await signInLocalOperator(cognito, pool, operator);
  return {
    stack,
    api,
    privileged,
    cognito,
    operatorToken: accessToken,
    call: (path, options) => call(api.baseUrl, path, options),
    admin: (path, options = {}) => call(api.baseUrl, path, { token: accessToken, ...options }),
    async close() {
      await api.close();
      cognito.destroy();
      await privileged.$disconnect();
    },
  };
}

export function expectProblem(response: HttpResponse, status: number, code?: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (code) expect(response.body.code).toBe(code);
}

export interface TenantInput {
  readonly tier: 'basic' | 'standard' | 'premium';
  readonly slug?: string;
  readonly firstAdminEmail?: string;
  readonly [key: string]: unknown;
}

export function tenantBody(input: TenantInput): Record<string, unknown> {
  const slug = input.slug ?? uniqueSlug(input.tier);
  return {
    name: `Tenant ${slug}`,
    slug,
    hosts: [`${slug}.app.test`],
    emailDomains: [`${slug}.test`],
    firstAdminEmail: uniqueEmail(`${slug}.test`),
    ...input,
  };
}

/** Polls the operators' API until the tenant leaves `provisioning`/`deleting` (or reaches `until`). */
export async function waitForTenant(h: Harness, id: string, until: readonly string[] = ['active', 'failed', 'deleted']): Promise<TenantJson> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const response = await h.admin(`/v1/admin/tenants/${id}`);
    expect(response.status, response.text).toBe(200);
    const status: string = response.body.status;
    if (until.includes(status) || (status === 'deleting' && response.body.provisioning.lastError)) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`tenant ${id} did not reach ${until.join('/')}`);
}

export async function createTenant(h: Harness, input: TenantInput): Promise<{ tenant: TenantJson; email: string; elapsedMs: number }> {
  const body = tenantBody(input);
  const started = performance.now();
  const created = await h.admin('/v1/admin/tenants', { method: 'POST', body });
  expect(created.status, created.text).toBe(202);
  expect(created.headers['location']).toBe(`/v1/admin/tenants/${created.body.id}`);
  const tenant = await waitForTenant(h, created.body.id);
  return { tenant, email: body['firstAdminEmail'] as string, elapsedMs: performance.now() - started };
}

/**
 * The temporary password Cognito sent to `username` (the emulator logs it).
 * cognito-local's log stream holds its latest line back until the next one is
 * written, so while waiting we make it log something harmless (an AdminGetUser
 * for a user that does not exist logs a warning), which pushes the delivery out.
 */
export async function temporaryPassword(h: Pick<Harness, 'cognito'>, username: string): Promise<string> {
  const operators = stackInfo().sharedPools['operators']!.userPoolId;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const log = await readFile(stackInfo().cognitoLogFile, 'utf8').catch(() => '');
    const delivery = parseCodeDeliveries(log)
      .filter((entry) => entry.username === username && entry.target === 'AdminCreateUser')
      .at(-1);
    if (delivery) return delivery.code;
    await h.cognito.send(new AdminGetUserCommand({ UserPoolId: operators, Username: `nudge-${randomUUID()}` })).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no invitation for ${username} in the emulator log`);
}

/** The client a tenant's users sign in with: its own (silo, bridge) or its tier's shared one (pool). */
export function signInClient(tenant: { isolationModel: string; tier: string; appClientIds: string[] }): string {
  if (tenant.isolationModel === 'pool') return stackInfo().sharedPools[tenant.tier]!.clientId!;
  const clientId = tenant.appClientIds[0];
  if (!clientId) throw new Error('the tenant has no app client');
  return clientId;
}

/** First sign-in of an invited user: temporary password → NEW_PASSWORD_REQUIRED → tokens. */
export async function firstSignIn(h: Harness, clientId: string, username: string, newPassword = NEW_PASSWORD) {
  const started = await h.cognito.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: await temporaryPassword(h, username) },
    }),
  );
  expect(started.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
  const answered = await h.cognito.send(
    new RespondToAuthChallengeCommand({
      ClientId: clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: started.Session,
      ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
    }),
  );
  const tokens = answered.AuthenticationResult;
  if (!tokens?.AccessToken || !tokens.RefreshToken) throw new Error('no tokens after NEW_PASSWORD_REQUIRED');
  return { accessToken: tokens.AccessToken, refreshToken: tokens.RefreshToken };
}

export async function signIn(h: Harness, clientId: string, username: string, password = NEW_PASSWORD) {
  const response = await h.cognito.send(
    new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password } }),
  );
  if (!response.AuthenticationResult?.AccessToken) throw new Error(`sign-in of ${username} answered ${response.ChallengeName}`);
  return { accessToken: response.AuthenticationResult.AccessToken };
}

/** The first admin's mirror row (written by provisioning). */
export function mirrorRow(h: Harness, tenantId: string, email: string) {
  return h.privileged.user.findUnique({ where: { tenantId_email: { tenantId, email } } });
}

/**
 * A basic-tier tenant with `count` active users (the first an admin) who have passwords of their own,
 * on the harness's stack. The invited first admin is removed: at the end of a move it would get the
 * target's invitation again (AdminCreateUser RESEND), which the emulator does not support.
 */
export async function tenantWithPasswordUsers(h: Harness, count: number, password: string, extra: Record<string, unknown> = {}) {
  const { tenant } = await createTenant(h, { tier: 'basic', ...extra });
  const basic = h.stack.sharedPools['basic']!;
  const users: { email: string; username: string; sub: string }[] = [];
  for (let index = 0; index < count; index += 1) {
    const email = `user-${index}-${randomUUID().slice(0, 8)}@${tenant.slug}.test`;
    const created = await createCognitoUser(h.stack, 'basic', {
      email,
      password,
      groups: [index === 0 ? 'admin' : 'member'],
      attributes: { 'custom:tenantId': tenant.id, 'custom:tenantTier': 'basic' },
    });
    await h.privileged.user.create({
      data: { tenantId: tenant.id, email, username: created.username, issuer: basic.issuer, sub: created.sub, status: 'active', role: index === 0 ? 'admin' : 'member', emailVerified: true },
    });
    users.push({ email, username: created.username, sub: created.sub });
  }
  const invited = await h.privileged.user.findFirstOrThrow({ where: { tenantId: tenant.id, email: { not: { in: users.map((user) => user.email) } } } });
  await h.privileged.user.delete({ where: { tenantId_id: { tenantId: tenant.id, id: invited.id } } });
  await h.cognito.send(new AdminDeleteUserCommand({ UserPoolId: basic.userPoolId, Username: invited.username }));
  return { tenant: tenant as TenantJson, users };
}
