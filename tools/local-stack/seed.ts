/**
 * `npm start`'s demo data (see seedDemo below) and, first, the helpers for
 * platform operators in the local stack's operators' pool (emulator only):
 * create one with a known password and an enrolled TOTP authenticator, and
 * sign one in (password, then the SOFTWARE_TOKEN_MFA challenge).
 *
 * Why this dance: the operators' pool has MFA `ON`. Real Cognito answers a
 * new operator's first sign-in with the MFA_SETUP challenge and enrols TOTP
 * with the challenge's session; cognito-local 5.3 answers NotAuthorized
 * instead, and its AssociateSoftwareToken refuses sessions (access tokens
 * only). What does work against the emulator, with real Cognito APIs only:
 *   1. AdminCreateUser (invitation suppressed) + AdminSetUserPassword (permanent)
 *      + AdminAddUserToGroup `platform-admin`;
 *   2. AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH — the emulator does not
 *      apply MFA to this admin flow (an emulator gap; real Cognito would
 *      challenge, and the app client does not even allow this flow) — which
 *      gives the access token that
 *   3. AssociateSoftwareToken + VerifySoftwareToken + SetUserMFAPreference need.
 * From then on the operator signs in like in AWS: InitiateAuth
 * USER_PASSWORD_AUTH → SOFTWARE_TOKEN_MFA → RespondToAuthChallenge with a
 * TOTP code. Local mode only; the operators' pool blueprint is unchanged.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { generateSync } from 'otplib';
import pg from 'pg';
import { createEmulatorClient } from './cognito.js';
import type { LocalStackInfo } from './stack.js';

export interface OperatorsPool {
  readonly userPoolId: string;
  readonly clientId: string;
}

export interface LocalOperator {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  /** Base32 TOTP secret (add it to an authenticator app to sign in by hand). */
  readonly totpSecret: string;
}

export interface OperatorTokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

export function totpCode(secret: string): string {
  return generateSync({ secret });
}

export async function createLocalOperator(
  client: CognitoIdentityProviderClient,
  pool: OperatorsPool,
  input: { email: string; password: string; username?: string },
): Promise<LocalOperator> {
  const username = input.username ?? randomUUID();
  await client.send(
    new AdminCreateUserCommand({
      UserPoolId: pool.userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: input.email },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: username, Password: input.password, Permanent: true }));
  await client.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: username, GroupName: 'platform-admin' }));
  const admin = await client.send(
    new AdminInitiateAuthCommand({
      UserPoolId: pool.userPoolId,
      ClientId: pool.clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: input.password },
    }),
  );
  const accessToken = admin.AuthenticationResult?.AccessToken;
  if (!accessToken) throw new Error(`could not start TOTP enrolment for operator ${username} (challenge ${admin.ChallengeName ?? 'none'})`);
  const { SecretCode: totpSecret } = await client.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
  if (!totpSecret) throw new Error('AssociateSoftwareToken returned no secret');
  const verified = await client.send(
    new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: totpCode(totpSecret), FriendlyDeviceName: 'authenticator' }),
  );
  if (verified.Status !== 'SUCCESS') throw new Error(`TOTP verification for operator ${username} answered ${verified.Status ?? 'nothing'}`);
  await client.send(
    new SetUserMFAPreferenceCommand({ AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }),
  );
  return { username, email: input.email, password: input.password, totpSecret };
}

/** Password, then the TOTP challenge — as an operator signs in against real Cognito. */
export async function signInLocalOperator(
  client: CognitoIdentityProviderClient,
  pool: OperatorsPool,
  operator: Pick<LocalOperator, 'username' | 'password' | 'totpSecret'>,
): Promise<OperatorTokens> {
  const started = await client.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: pool.clientId,
      AuthParameters: { USERNAME: operator.username, PASSWORD: operator.password },
    }),
  );
  if (started.ChallengeName !== 'SOFTWARE_TOKEN_MFA' || !started.Session) {
    throw new Error(`operator sign-in answered ${started.ChallengeName ?? 'tokens without MFA'}, expected SOFTWARE_TOKEN_MFA`);
  }
  const answered = await client.send(
    new RespondToAuthChallengeCommand({
      ClientId: pool.clientId,
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: started.Session,
      ChallengeResponses: { USERNAME: operator.username, SOFTWARE_TOKEN_MFA_CODE: totpCode(operator.totpSecret) },
    }),
  );
  const result = answered.AuthenticationResult;
  if (!result?.AccessToken || !result.IdToken || !result.RefreshToken) throw new Error('operator sign-in returned no complete token set');
  return { accessToken: result.AccessToken, idToken: result.IdToken, refreshToken: result.RefreshToken };
}

// ---- the demo seed -----------------------------------------------------------

export interface SeedOptions {
  /** The running API, e.g. `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  readonly stack: Pick<LocalStackInfo, 'cognitoEndpoint' | 'region' | 'sharedPools' | 'databaseUrls'>;
  /** Where the operator's TOTP secret is kept between runs (`.gatehouse/`). */
  readonly dataDir: string;
  readonly log?: (line: string) => void;
}

export interface SeededAccount {
  readonly role: 'operator' | 'admin' | 'member';
  readonly tenant?: { readonly slug: string; readonly tier: string; readonly model: string };
  readonly email: string;
  readonly password: string;
  readonly totpSecret?: string;
}

/** Local-only credentials: the emulator and this seed exist only in local mode. */
const DEMO_PASSWORD = 'Demo-Password-2026';
const OPERATOR_EMAIL = 'operator@gatehouse.example';
const OPERATOR_PASSWORD = 'Operator-Password-2026';
const DEMO_TENANTS = [
  { slug: 'demo-basic', tier: 'basic', name: 'Demo Basic (pool model)' },
  { slug: 'demo-standard', tier: 'standard', name: 'Demo Standard (bridge model)' },
  { slug: 'demo-premium', tier: 'premium', name: 'Demo Premium (silo model)' },
] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from our own API
type Json = any;

async function api(baseUrl: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function expectStatus(what: string, response: { status: number; body: unknown }, ...statuses: number[]): void {
  if (!statuses.includes(response.status)) throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
}

async function usernameByEmail(client: CognitoIdentityProviderClient, userPoolId: string, email: string): Promise<string | undefined> {
  const users = await client.send(new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = "${email}"` }));
  // The emulator may ignore the filter: match on the attribute ourselves.
  return users.Users?.find((user) => user.Attributes?.some((a) => a.Name === 'email' && a.Value === email))?.Username;
}

/** The seeded operator: reused when its TOTP secret is on disk, else (re)created. */
async function ensureOperator(client: CognitoIdentityProviderClient, pool: OperatorsPool, dataDir: string): Promise<LocalOperator> {
  const file = join(dataDir, 'seed-operator.json');
  const existing = await usernameByEmail(client, pool.userPoolId, OPERATOR_EMAIL);
  if (existing) {
    const saved = await readFile(file, 'utf8').then((text) => JSON.parse(text) as LocalOperator, () => undefined);
    if (saved?.username === existing) return saved;
    await client.send(new AdminDeleteUserCommand({ UserPoolId: pool.userPoolId, Username: existing }));
  }
  const operator = await createLocalOperator(client, pool, { email: OPERATOR_EMAIL, password: OPERATOR_PASSWORD });
  await writeFile(file, `${JSON.stringify(operator, null, 2)}\n`, { mode: 0o600 });
  return operator;
}

/**
 * LOCAL MODE ONLY: marks a demo tenant's `<slug>.example` domain verified
 * without the DNS TXT proof every other domain needs (`.example` is reserved:
 * nobody can publish a record there). Written straight to the local database
 * through the privileged role, with an audit event saying so; the API has no
 * way to skip the DNS check, in any mode.
 */
async function preVerifyDemoDomain(privilegedUrl: string, tenantId: string, domain: string): Promise<void> {
  const client = new pg.Client({ connectionString: privilegedUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const updated = await client.query(
      `UPDATE tenant_email_domains SET status = 'verified', verified_at = now(), last_check_error = NULL
        WHERE tenant_id = $1 AND domain = $2 AND status = 'pending'`,
      [tenantId, domain],
    );
    if (updated.rowCount) {
      await client.query(
        `INSERT INTO audit_events (tenant_id, actor_type, action, target, outcome, details)
         VALUES ($1, 'system', 'tenant.email_domain.verify', $2, 'success', $3)`,
        [tenantId, `email-domain:${domain}`, JSON.stringify({ domain, method: 'local-demo-seed (no DNS proof; local mode only)' })],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function waitUntilSettled(baseUrl: string, token: string, id: string): Promise<Json> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const { body } = await api(baseUrl, `/v1/admin/tenants/${id}`, { token });
    if (body.status !== 'provisioning') return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`tenant ${id} is still provisioning`);
}

/**
 * Seeds, idempotently and through the same operators' and tenant admins' API
 * a person would use: one operator (password + TOTP), and per tier a demo
 * tenant (provisioned by the provisioning state machine) with an admin (its
 * invited first admin) and a member (invited by that admin), both given a
 * known local-only password (AdminSetUserPassword, permanent) and signed in
 * once through `/v1/auth/sign-in`. Returns what to print.
 */
export async function seedDemo(options: SeedOptions): Promise<SeededAccount[]> {
  const log = options.log ?? (() => undefined);
  const client = createEmulatorClient(options.stack.cognitoEndpoint, options.stack.region);
  try {
    const operatorsPool = options.stack.sharedPools['operators'];
    if (!operatorsPool?.clientId) throw new Error('the local stack has no operators’ pool client');
    const pool = { userPoolId: operatorsPool.userPoolId, clientId: operatorsPool.clientId };
    const operator = await ensureOperator(client, pool, options.dataDir);
    const { accessToken: operatorToken } = await signInLocalOperator(client, pool, operator);
    const accounts: SeededAccount[] = [{ role: 'operator', email: operator.email, password: operator.password, totpSecret: operator.totpSecret }];

    for (const demo of DEMO_TENANTS) {
      const demoDomain = `${demo.slug}.example`;
      const adminEmail = `admin@${demoDomain}`;
      const memberEmail = `member@${demo.slug}.example`;
      const found = await api(options.baseUrl, `/v1/admin/tenants?q=${demo.slug}`, { token: operatorToken });
      expectStatus('list tenants', found, 200);
      let tenant: Json = (found.body.items as { slug: string }[]).find((item) => item.slug === demo.slug);
      if (!tenant) {
        const created = await api(options.baseUrl, '/v1/admin/tenants', {
          method: 'POST',
          token: operatorToken,
          body: {
            name: demo.name,
            slug: demo.slug,
            tier: demo.tier,
            hosts: [],
            emailDomains: [demoDomain],
            firstAdminEmail: adminEmail,
            signUpPolicy: 'domains',
          },
        });
        expectStatus(`create ${demo.slug}`, created, 202);
        tenant = created.body;
        log(`[seed] provisioning ${demo.slug} (${demo.tier})`);
      }
      tenant = await waitUntilSettled(options.baseUrl, operatorToken, tenant.id);
      if (tenant.status === 'failed') {
        expectStatus(`retry ${demo.slug}`, await api(options.baseUrl, `/v1/admin/tenants/${tenant.id}/retry`, { method: 'POST', token: operatorToken }), 202);
        tenant = await waitUntilSettled(options.baseUrl, operatorToken, tenant.id);
      }
      if (tenant.status !== 'active') throw new Error(`demo tenant ${demo.slug} is ${tenant.status}, expected active`);
      // Sign-up by addresses of the demo domain only (tenants seeded before sign-up policies existed are brought in line).
      if (tenant.signUpPolicy !== 'domains' || !tenant.emailDomains.includes(demoDomain)) {
        const patched = await api(options.baseUrl, `/v1/admin/tenants/${tenant.id}`, {
          method: 'PATCH',
          token: operatorToken,
          body: { signUpPolicy: 'domains', emailDomains: [...new Set([...tenant.emailDomains, demoDomain])] },
        });
        expectStatus(`open ${demo.slug} to ${demoDomain}`, patched, 200);
      }
      await preVerifyDemoDomain(options.stack.databaseUrls.privileged, tenant.id, demoDomain);

      const adminUsername = await usernameByEmail(client, tenant.userPoolId, adminEmail);
      if (!adminUsername) throw new Error(`the first admin of ${demo.slug} is not in its pool`);
      await client.send(new AdminSetUserPasswordCommand({ UserPoolId: tenant.userPoolId, Username: adminUsername, Password: DEMO_PASSWORD, Permanent: true }));
      const adminSignIn = await api(options.baseUrl, '/v1/auth/sign-in', { method: 'POST', body: { tenant: demo.slug, email: adminEmail, password: DEMO_PASSWORD } });
      expectStatus(`sign in ${adminEmail}`, adminSignIn, 200);
      const adminToken: string = adminSignIn.body.tokens.accessToken;

      const members = await api(options.baseUrl, `/v1/users?q=${encodeURIComponent(memberEmail)}`, { token: adminToken });
      expectStatus('list users', members, 200);
      if (members.body.items.length === 0) {
        expectStatus(`invite ${memberEmail}`, await api(options.baseUrl, '/v1/users', { method: 'POST', token: adminToken, body: { email: memberEmail, role: 'member' } }), 201);
      }
      const memberUsername = await usernameByEmail(client, tenant.userPoolId, memberEmail);
      if (!memberUsername) throw new Error(`the member of ${demo.slug} is not in its pool`);
      await client.send(new AdminSetUserPasswordCommand({ UserPoolId: tenant.userPoolId, Username: memberUsername, Password: DEMO_PASSWORD, Permanent: true }));
      expectStatus(
        `sign in ${memberEmail}`,
        await api(options.baseUrl, '/v1/auth/sign-in', { method: 'POST', body: { tenant: demo.slug, email: memberEmail, password: DEMO_PASSWORD } }),
        200,
      );
      const about = { slug: demo.slug, tier: demo.tier, model: tenant.isolationModel as string };
      accounts.push({ role: 'admin', tenant: about, email: adminEmail, password: DEMO_PASSWORD });
      accounts.push({ role: 'member', tenant: about, email: memberEmail, password: DEMO_PASSWORD });
    }
    return accounts;
  } finally {
    client.destroy();
  }
}

/** The lines `npm start` prints about the seeded accounts. */
export function describeSeed(accounts: readonly SeededAccount[], baseUrl: string): string {
  const lines = ['  Demo accounts (local only; passwords are for this emulator, never for AWS)'];
  for (const account of accounts) {
    if (account.role === 'operator') {
      lines.push(`    operator   ${account.email}  password ${account.password}  TOTP secret ${account.totpSecret}`);
      lines.push(`               (operators' pool: password, then a TOTP code from that secret; see README "Operating tenants")`);
    } else {
      lines.push(`    ${account.role.padEnd(10)} ${account.email}  password ${account.password}  tenant ${account.tenant?.slug} (${account.tenant?.tier}, ${account.tenant?.model})`);
    }
  }
  lines.push(`    sign-up:   open to addresses of each demo tenant's domain (<slug>.example, pre-verified by the local seed only),`);
  lines.push(`               e.g. {"tenant":"demo-basic","email":"you@demo-basic.example",...}; any other address gets 403 sign_up_not_allowed`);
  lines.push(`    sign in:   curl -s ${baseUrl}/v1/auth/sign-in -H 'content-type: application/json' \\`);
  lines.push(`                 -d '{"tenant":"demo-basic","email":"admin@demo-basic.example","password":"${DEMO_PASSWORD}"}'`);
  return lines.join('\n');
}
