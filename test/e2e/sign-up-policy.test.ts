/**
 * Who may join a tenant, end to end on the local stack: the per-tenant
 * sign-up policy (closed by default, verified domains, open), e-mail domain
 * verification through a REAL DNS server on loopback (dns2, queried by the
 * API's own resolver), sign-up under real concurrency (one account, no 5xx,
 * no orphaned Cognito users), and an unconfirmed user's sign-in answered
 * like a wrong password.
 */
import { randomUUID } from 'node:crypto';
import { type CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { createLocalOperator, signInLocalOperator } from '../../tools/local-stack/seed.js';
import { type TestDnsServer, startDnsServer } from '../support/dns-server.js';
import { latestCode } from '../support/emulator-codes.js';
import { uniqueEmail, uniqueSuffix } from '../support/factories.js';
import { type CallOptions, type HttpResponse, type World, type WorldTenant, buildWorld } from '../support/world.js';

const PASSWORD = 'Sturdy-Password-2026';
let world: World;
let dns: TestDnsServer;
let cognito: CognitoIdentityProviderClient;
let operatorToken: string;

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

/** The problem document without what differs per request. */
function stable(response: HttpResponse): Record<string, unknown> {
  const { requestId: _requestId, instance: _instance, ...rest } = response.body as Record<string, unknown>;
  return rest;
}

const post = (path: string, body: unknown, options: CallOptions = {}) => world.call(path, { method: 'POST', body, ...options });
const asOperator = (path: string, options: CallOptions = {}) => world.call(path, { token: operatorToken, ...options });

function poolIdOf(tenant: WorldTenant): string {
  return tenant.issuer.split('/').at(-1)!;
}

/** Every Cognito user of the pool whose e-mail attribute is `email` (the emulator may ignore ListUsers filters). */
async function cognitoUsersWithEmail(tenant: WorldTenant, email: string) {
  const users = await cognito.send(new ListUsersCommand({ UserPoolId: poolIdOf(tenant) }));
  return (users.Users ?? []).filter((user) => user.Attributes?.some((attribute) => attribute.Name === 'email' && attribute.Value === email));
}

async function setPolicy(tenant: WorldTenant, body: Record<string, unknown>): Promise<HttpResponse> {
  const response = await asOperator(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body });
  expect(response.status, response.text).toBe(200);
  return response;
}

async function signUpAndConfirm(tenant: WorldTenant, email: string): Promise<string> {
  const signUp = await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: PASSWORD });
  expect(signUp.status, signUp.text).toBe(202);
  const row = await world.privileged.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: tenant.id, email } } });
  const code = await latestCode(row.username, 'SignUp');
  expect((await post('/v1/auth/confirm-sign-up', { tenant: tenant.slug, email, code })).status).toBe(204);
  const signIn = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD });
  expect(signIn.status, signIn.text).toBe(200);
  return signIn.body.tokens.accessToken as string;
}

beforeAll(async () => {
  dns = await startDnsServer();
  world = await buildWorld({
    DNS_RESOLVERS: dns.address,
    DNS_TIMEOUT_MS: '300',
    SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
    SIGN_IN_FAILURES_PER_USER: '1000',
  });
  cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
  const operators = world.stack.sharedPools['operators']!;
  const pool = { userPoolId: operators.userPoolId, clientId: operators.clientId! };
  const operator = await createLocalOperator(cognito, pool, { email: uniqueEmail('ops.test'), password: `Operator-${randomUUID()}` });
  operatorToken = (await signInLocalOperator(cognito, pool, operator)).accessToken;
}, 120_000);

afterAll(async () => {
  cognito?.destroy();
  await world?.close();
  await dns?.stop();
});

describe('a stranger cannot join a tenant that did not open itself to her', () => {
  it.each(['poolA', 'bridgeC', 'siloE'] as const)('%s is closed by default: 403 sign_up_not_allowed, the same for a taken address, and no account', async (key) => {
    const tenant = world.tenants[key];
    const tenantView = await asOperator(`/v1/admin/tenants/${tenant.id}`);
    expect(tenantView.body.signUpPolicy).toBe('closed');

    const eve = `eve-${uniqueSuffix()}@gmail.com`;
    const stranger = await post('/v1/auth/sign-up', { tenant: tenant.slug, email: eve, password: PASSWORD });
    expectProblem(stranger, 403, 'sign_up_not_allowed');
    // An address that has an account gets exactly the same answer (weak password too: the policy is decided first).
    const existing = await post('/v1/auth/sign-up', { tenant: tenant.slug, email: world.users[key].member.email, password: 'x' });
    expectProblem(existing, 403, 'sign_up_not_allowed');
    expect(stable(existing)).toEqual(stable(stranger));

    expect(await world.privileged.user.count({ where: { tenantId: tenant.id, email: eve } })).toBe(0);
    expect(await cognitoUsersWithEmail(tenant, eve)).toEqual([]);
    // No account, so no way to the tenant's data.
    expectProblem(await post('/v1/auth/sign-in', { tenant: tenant.slug, email: eve, password: PASSWORD }), 401, 'invalid_credentials');
    expect((await world.call('/v1/projects', { tenantHeader: tenant.slug })).status).toBe(401);
    expect((await post('/v1/projects', { name: 'eve was here' }, { tenantHeader: tenant.slug })).status).toBe(401);
  });

  it('invitations by a tenant admin keep working while sign-up is closed', async () => {
    const tenant = world.tenants.bridgeC;
    const admin = await world.tokens(world.users.bridgeC.admin);
    const invited = await world.call('/v1/users', { method: 'POST', token: admin.accessToken, body: { email: uniqueEmail(), role: 'member' } });
    expect(invited.status, invited.text).toBe(201);
    expect((await asOperator(`/v1/admin/tenants/${tenant.id}`)).body.signUpPolicy).toBe('closed');
  });
});

describe('e-mail domains are verified by a DNS TXT record on a real DNS server', () => {
  it('pending → verified only when the published TXT value is the tenant’s token; only then it routes', async () => {
    const tenant = world.tenants.poolB;
    const domain = `${uniqueSuffix()}.pool-b.test`;
    const patched = await setPolicy(tenant, { emailDomains: [domain] });
    const claim = patched.body.emailDomainDetails.find((entry: { domain: string }) => entry.domain === domain);
    expect(claim).toMatchObject({ domain, status: 'pending', verifiedAt: null, lastCheck: null });
    expect(claim.txtRecord).toEqual({ name: `_gatehouse-challenge.${domain}`, type: 'TXT', value: expect.stringMatching(/^gatehouse-domain-verification=[\w-]{32}$/) });
    expectProblem(await world.call(`/v1/tenants/lookup?email=someone@${domain}`), 404, 'tenant_not_found');

    const verify = () => asOperator(`/v1/admin/tenants/${tenant.id}/email-domains/${domain}/verify`, { method: 'POST' });
    // Nothing published: NXDOMAIN, stays pending, and says what to publish.
    const missing = await verify();
    expect(missing.status, missing.text).toBe(200);
    expect(missing.body.status).toBe('pending');
    expect(missing.body.lastCheck.error).toContain('NXDOMAIN');
    expect(missing.body.lastCheck.error).toContain(claim.txtRecord.value);
    expect(dns.queries(claim.txtRecord.name)).toBeGreaterThan(0);

    // The name exists without a TXT record, then with somebody else's token.
    dns.setTxt(claim.txtRecord.name, []);
    expect((await verify()).body.lastCheck.error).toContain('has no TXT record');
    dns.setTxt(claim.txtRecord.name, ['v=spf1 -all', 'gatehouse-domain-verification=not-this-tenants-token']);
    const mismatch = await verify();
    expect(mismatch.body.status).toBe('pending');
    expect(mismatch.body.lastCheck.error).toContain('is the expected value');
    expectProblem(await world.call(`/v1/tenants/lookup?email=someone@${domain}`), 404, 'tenant_not_found');

    dns.setTxt(claim.txtRecord.name, ['v=spf1 -all', claim.txtRecord.value]);
    const verified = await verify();
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({ domain, status: 'verified', lastCheck: null });
    expect(Date.parse(verified.body.verifiedAt)).not.toBeNaN();
    const lookup = await world.call(`/v1/tenants/lookup?email=someone@${domain}`);
    expect(lookup.status, lookup.text).toBe(200);
    expect(lookup.body.tenant.slug).toBe(tenant.slug);

    const audit = await world.privileged.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.email_domain.verify' }, orderBy: { id: 'asc' } });
    expect(audit.map((event) => event.outcome)).toEqual(['failure', 'failure', 'failure', 'success']);
    expect(audit.at(-1)?.actorType).toBe('operator');
  });

  it('a DNS server that does not answer is 503 dns_unavailable with Retry-After, and the domain stays pending', async () => {
    const tenant = world.tenants.poolB;
    const domain = `${uniqueSuffix()}.silent.test`;
    await setPolicy(tenant, { emailDomains: [domain] });
    dns.silence(`_gatehouse-challenge.${domain}`);
    const response = await asOperator(`/v1/admin/tenants/${tenant.id}/email-domains/${domain}/verify`, { method: 'POST' });
    expectProblem(response, 503, 'dns_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    const row = await world.privileged.tenantEmailDomain.findUniqueOrThrow({ where: { tenantId_domain: { tenantId: tenant.id, domain } } });
    expect(row.status).toBe('pending');
  });

  it('one domain is verified for one tenant only: a second tenant can neither verify it nor claim it afterwards', async () => {
    const [first, second] = [world.tenants.bridgeD, world.tenants.siloE];
    const domain = `${uniqueSuffix()}.contested.test`;
    // Both may claim it while it is pending: a claim proves nothing, so nobody can squat a domain by claiming it first.
    const firstClaim = (await setPolicy(first, { emailDomains: [domain] })).body.emailDomainDetails[0];
    const secondClaim = (await setPolicy(second, { emailDomains: [domain] })).body.emailDomainDetails[0];
    expect(secondClaim.txtRecord.value).not.toBe(firstClaim.txtRecord.value);

    // The domain's owner publishes the first tenant's token: the second tenant's check fails, the first one's passes.
    dns.setTxt(firstClaim.txtRecord.name, [firstClaim.txtRecord.value]);
    expect((await asOperator(`/v1/admin/tenants/${second.id}/email-domains/${domain}/verify`, { method: 'POST' })).body.status).toBe('pending');
    expect((await asOperator(`/v1/admin/tenants/${first.id}/email-domains/${domain}/verify`, { method: 'POST' })).body.status).toBe('verified');

    // Even with its own token published now, the second tenant cannot take it over.
    dns.setTxt(firstClaim.txtRecord.name, [firstClaim.txtRecord.value, secondClaim.txtRecord.value]);
    expectProblem(await asOperator(`/v1/admin/tenants/${second.id}/email-domains/${domain}/verify`, { method: 'POST' }), 409, 'tenant_email_domain_taken');
    // Nor can any tenant claim it any more, at creation or later.
    const third = world.tenants.poolA;
    expectProblem(await asOperator(`/v1/admin/tenants/${third.id}`, { method: 'PATCH', body: { emailDomains: [domain] } }), 409, 'tenant_email_domain_taken');
    const created = await asOperator('/v1/admin/tenants', {
      method: 'POST',
      body: { name: 'Squatter', slug: `squat-${uniqueSuffix()}`, tier: 'basic', emailDomains: [domain], firstAdminEmail: uniqueEmail() },
    });
    expectProblem(created, 409, 'tenant_email_domain_taken');
    expect((await world.call(`/v1/tenants/lookup?email=a@${domain}`)).body.tenant.slug).toBe(first.slug);
  });
});

describe('the `domains` policy admits addresses of verified domains only, with the default role', () => {
  it('eve@gmail.com and an unverified domain are refused alike; a verified-domain address signs up as member and can work', async () => {
    const tenant = world.tenants.poolA;
    const verifiedDomain = `${uniqueSuffix()}.pool-a.test`;
    const pendingDomain = `${uniqueSuffix()}.pool-a.test`;
    const patched = await setPolicy(tenant, { signUpPolicy: 'domains', emailDomains: [verifiedDomain, pendingDomain] });
    expect(patched.body.signUpPolicy).toBe('domains');
    expect(patched.body.signUpDefaultRole).toBe('member');
    const record = patched.body.emailDomainDetails.find((entry: { domain: string }) => entry.domain === verifiedDomain).txtRecord;
    dns.setTxt(record.name, [record.value]);
    expect((await asOperator(`/v1/admin/tenants/${tenant.id}/email-domains/${verifiedDomain}/verify`, { method: 'POST' })).body.status).toBe('verified');

    const eve = await post('/v1/auth/sign-up', { tenant: tenant.slug, email: `eve-${uniqueSuffix()}@gmail.com`, password: PASSWORD });
    expectProblem(eve, 403, 'sign_up_not_allowed');
    const unverified = await post('/v1/auth/sign-up', { tenant: tenant.slug, email: uniqueEmail(pendingDomain), password: PASSWORD });
    expectProblem(unverified, 403, 'sign_up_not_allowed');
    const takenStranger = await post('/v1/auth/sign-up', { tenant: tenant.slug, email: world.users.poolA.member.email, password: PASSWORD });
    expectProblem(takenStranger, 403, 'sign_up_not_allowed');
    expect(stable(unverified)).toEqual(stable(eve));
    expect(stable(takenStranger)).toEqual(stable(eve));

    const bob = uniqueEmail(verifiedDomain);
    const token = await signUpAndConfirm(tenant, bob);
    const me = await world.call('/v1/me', { token });
    expect(me.status, me.text).toBe(200);
    expect(me.body.roles).toEqual(['member']);
    expect(me.body.tenant.id).toBe(tenant.id);
    const project = await world.call('/v1/projects', { method: 'POST', token, body: { name: `bob-${uniqueSuffix()}` } });
    expect(project.status, project.text).toBe(201);
    // Taken addresses of an admitted domain still get the generic 202 (no account is revealed).
    expect((await post('/v1/auth/sign-up', { tenant: tenant.slug, email: bob, password: PASSWORD })).status).toBe(202);
  });

  it('the configured default role applies (viewer: reads, cannot write); admin is never a default', async () => {
    const tenant = world.tenants.bridgeD;
    const domain = `${uniqueSuffix()}.bridge-d.test`;
    const patched = await setPolicy(tenant, { signUpPolicy: 'domains', signUpDefaultRole: 'viewer', emailDomains: [domain] });
    const record = patched.body.emailDomainDetails[0].txtRecord;
    dns.setTxt(record.name, [record.value]);
    expect((await asOperator(`/v1/admin/tenants/${tenant.id}/email-domains/${domain}/verify`, { method: 'POST' })).body.status).toBe('verified');

    const token = await signUpAndConfirm(tenant, uniqueEmail(domain));
    expect((await world.call('/v1/me', { token })).body.roles).toEqual(['viewer']);
    expect((await world.call('/v1/projects', { token })).status).toBe(200);
    expectProblem(await world.call('/v1/projects', { method: 'POST', token, body: { name: `v-${uniqueSuffix()}` } }), 403, 'insufficient_role');

    expectProblem(await asOperator(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body: { signUpDefaultRole: 'admin' } }), 400, 'validation_failed');
    const audit = await world.privileged.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.sign_up_policy.change' } });
    expect(audit.at(-1)?.details).toMatchObject({ to: { policy: 'domains', defaultRole: 'viewer' } });
  });
});

describe('tenant admins see their domains and may narrow sign-up, never open it', () => {
  it('reads the TXT records, verifies a domain, switches closed ↔ domains; open is for operators; members are refused', async () => {
    const tenant = world.tenants.siloE;
    const domain = `${uniqueSuffix()}.silo-e.test`;
    await setPolicy(tenant, { emailDomains: [domain] });
    const admin = (await world.tokens(world.users.siloE.admin)).accessToken;
    const member = (await world.tokens(world.users.siloE.member)).accessToken;

    const settings = await world.call('/v1/sign-up-policy', { token: admin });
    expect(settings.status, settings.text).toBe(200);
    expect(settings.body.signUpPolicy).toBe('closed');
    const record = settings.body.emailDomains.find((entry: { domain: string }) => entry.domain === domain).txtRecord;
    dns.setTxt(record.name, [record.value]);
    const verified = await world.call(`/v1/email-domains/${domain}/verify`, { method: 'POST', token: admin });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body.status).toBe('verified');
    // Another tenant's domain does not exist for this admin.
    const othersDomain = `${uniqueSuffix()}.elsewhere.test`;
    await setPolicy(world.tenants.poolB, { emailDomains: [othersDomain] });
    expectProblem(await world.call(`/v1/email-domains/${othersDomain}/verify`, { method: 'POST', token: admin }), 404, 'email_domain_not_found');

    const narrowed = await world.call('/v1/sign-up-policy', { method: 'PATCH', token: admin, body: { signUpPolicy: 'domains' } });
    expect(narrowed.status, narrowed.text).toBe(200);
    expect(narrowed.body.signUpPolicy).toBe('domains');
    expect((await post('/v1/auth/sign-up', { tenant: tenant.slug, email: uniqueEmail(domain), password: PASSWORD })).status).toBe(202);

    expectProblem(await world.call('/v1/sign-up-policy', { method: 'PATCH', token: admin, body: { signUpPolicy: 'open' } }), 403, 'sign_up_policy_operator_only');
    expectProblem(await world.call('/v1/sign-up-policy', { token: member }), 403, 'insufficient_role');
    expectProblem(await world.call('/v1/sign-up-policy', { method: 'PATCH', token: member, body: { signUpPolicy: 'closed' } }), 403, 'insufficient_role');

    // An operator opens it; the admin may close it again.
    expect((await setPolicy(tenant, { signUpPolicy: 'open' })).body.signUpPolicy).toBe('open');
    const closed = await world.call('/v1/sign-up-policy', { method: 'PATCH', token: admin, body: { signUpPolicy: 'closed' } });
    expect(closed.body.signUpPolicy).toBe('closed');
    expectProblem(await post('/v1/auth/sign-up', { tenant: tenant.slug, email: uniqueEmail(domain), password: PASSWORD }), 403, 'sign_up_not_allowed');

    const audit = await world.privileged.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.sign_up_policy.change' }, orderBy: { id: 'asc' } });
    expect(audit.map((event) => [event.actorType, (event.details as { to: { policy: string } }).to.policy])).toEqual([
      ['user', 'domains'],
      ['operator', 'open'],
      ['user', 'closed'],
    ]);
  });
});

describe('sign-up is idempotent per (tenant, e-mail) under concurrency', () => {
  it.each(['poolA', 'bridgeC', 'siloE'] as const)('%s: five concurrent sign-ups of one address give one account, no 5xx, no orphaned Cognito user', async (key) => {
    const tenant = world.tenants[key];
    await world.privileged.tenant.update({ where: { id: tenant.id }, data: { signUpPolicy: 'open' } });
    await world.refresh(tenant.id);
    try {
      const email = uniqueEmail('race.test');
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: PASSWORD })),
      );
      expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
      for (const response of responses) expect(response.body).toEqual({ status: 'accepted', next: 'confirm_sign_up' });

      const rows = await world.privileged.user.findMany({ where: { tenantId: tenant.id, email } });
      expect(rows).toHaveLength(1);
      const inCognito = await cognitoUsersWithEmail(tenant, email);
      expect(inCognito.map((user) => user.Username)).toEqual([rows[0]!.username]);
      const sub = inCognito[0]?.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
      expect(rows[0]!.sub).toBe(sub);
    } finally {
      await world.privileged.tenant.update({ where: { id: tenant.id }, data: { signUpPolicy: 'closed' } });
      await world.refresh(tenant.id);
    }
  });
});

describe('an unconfirmed account does not reveal itself at sign-in', () => {
  it('the right password of an unconfirmed user gets the same 401 as a wrong one', async () => {
    const tenant = world.tenants.bridgeC;
    await world.privileged.tenant.update({ where: { id: tenant.id }, data: { signUpPolicy: 'open' } });
    await world.refresh(tenant.id);
    try {
      const email = uniqueEmail();
      expect((await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: PASSWORD })).status).toBe(202);
      const rightPassword = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD });
      const wrongPassword = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: 'Wrong-Password-2026' });
      const noAccount = await post('/v1/auth/sign-in', { tenant: tenant.slug, email: uniqueEmail(), password: PASSWORD });
      expectProblem(rightPassword, 401, 'invalid_credentials');
      expectProblem(wrongPassword, 401, 'invalid_credentials');
      expect(stable(rightPassword)).toEqual(stable(wrongPassword));
      expect(stable(rightPassword)).toEqual(stable(noAccount));
    } finally {
      await world.privileged.tenant.update({ where: { id: tenant.id }, data: { signUpPolicy: 'closed' } });
      await world.refresh(tenant.id);
    }
  });
});
