/**
 * The internal route the Cognito post-confirmation / post-authentication
 * trigger reports to (deliverable 4 of issue 15), over real HTTP against the
 * real database. The emulator cannot run Lambda triggers, so the report is
 * built and signed here the way infra/lambdas/post-events.ts does (its spec
 * checks that Lambda against the same verifier), with node:crypto only.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi, testConfig } from '../support/app.js';
import { stackInfo } from '../support/database.js';
import { call } from '../support/world.js';
import { type Harness, createTenant, expectProblem, mirrorRow, startHarness } from './tenants-harness.js';

const SECRET = `whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64').slice(0, 44)}`;

let h: Harness;
let api: RunningApi;

function signed(body: string, secret = SECRET): Record<string, string> {
  const id = randomUUID();
  const timestamp = Math.floor(Date.now() / 1000);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
}

function report(input: Record<string, unknown>, headers?: Record<string, string>) {
  const body = JSON.stringify(input);
  return call(api.baseUrl, '/internal/cognito-events', { method: 'POST', rawBody: body, headers: { 'content-type': 'application/json', ...(headers ?? signed(body)) } });
}

beforeAll(async () => {
  h = await startHarness();
  api = await startApi(testConfig({ COGNITO_EVENTS_SECRET: SECRET }));
}, 180_000);

afterAll(async () => {
  await api?.close();
  await h?.close();
});

describe('POST /internal/cognito-events', () => {
  it('turns a sign-in at Cognito into user.signed_in (via cognito) once, however often the trigger retries', async () => {
    const { tenant, email } = await createTenant(h, { tier: 'basic' });
    const admin = (await mirrorRow(h, tenant.id, email))!;
    const sharedPool = stackInfo().sharedPools['basic']!;
    const input = { kind: 'signed_in', region: stackInfo().region, userPoolId: sharedPool.userPoolId, sub: admin.sub, clientId: sharedPool.clientId, dedupeKey: `k-${randomUUID()}` };

    const first = await report(input);
    expect(first.status, first.text).toBe(202);
    expect(first.body).toEqual({ recorded: true });
    expect((await report(input)).body).toEqual({ recorded: false });

    const events = await h.privileged.eventOutbox.findMany({ where: { tenantId: tenant.id, type: 'user.signed_in' } });
    expect(events.map((event) => event.data)).toEqual([{ tenantId: tenant.id, userId: admin.id, via: 'cognito' }]);
    const audit = await h.privileged.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'user.signed_in' } });
    expect(audit).toHaveLength(1);

    // The API's own sign-ins (its Gatehouse client) are reported by the trigger too, but Gatehouse emitted those itself.
    expect((await report({ ...input, clientId: sharedPool.gatehouseClientId, dedupeKey: `k-${randomUUID()}` })).body).toEqual({ recorded: false });
    // A user Gatehouse does not know: ignored, answered alike.
    expect((await report({ ...input, sub: randomUUID(), dedupeKey: `k-${randomUUID()}` })).body).toEqual({ recorded: false });
  }, 180_000);

  it('refuses unsigned, wrongly signed, stale and malformed reports', async () => {
    const input = { kind: 'signed_in', region: 'us-east-1', userPoolId: 'us-east-1_x', sub: 's', clientId: null, dedupeKey: 'k' };
    const body = JSON.stringify(input);
    expectProblem(await report(input, {}), 401, 'invalid_signature');
    expectProblem(await report(input, signed(body, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)), 401, 'invalid_signature');
    const stale = signed(body);
    const old = String(Number(stale['webhook-timestamp']) - 3600);
    const key = Buffer.from(SECRET.replace(/^whsec_/, ''), 'base64');
    stale['webhook-timestamp'] = old;
    stale['webhook-signature'] = `v1,${createHmac('sha256', key).update(`${stale['webhook-id']}.${old}.${body}`).digest('base64')}`;
    expectProblem(await report(input, stale), 401, 'invalid_signature');
    expectProblem(await report({ ...input, kind: 'signed_up' }), 400, 'validation_failed');
    // Without a configured secret the route refuses everything (the harness's API has none).
    expectProblem(await call(h.api.baseUrl, '/internal/cognito-events', { method: 'POST', rawBody: body, headers: { 'content-type': 'application/json', ...signed(body) } }), 401, 'invalid_signature');
  });
});
