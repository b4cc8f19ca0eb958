/**
 * Webhooks end to end (issue 15): a real HTTP receiver on loopback, tenants
 * provisioned through the operators' API, lifecycle changes made through the
 * API, and a webhook worker (its own API instance) that is stopped and started
 * again. Signatures are checked here with node:crypto alone — not with
 * Gatehouse's own Standard Webhooks module.
 *
 * The management API (the harness's) runs no worker; `startWorker` boots the
 * one that delivers, with short retries so the suite runs in seconds.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi, testConfig } from '../support/app.js';
import { uniqueEmail } from '../support/factories.js';
import { type ReceivedRequest, type WebhookReceiver, startWebhookReceiver } from '../support/webhook-receiver.js';
import { type Harness, type TenantJson, createTenant, expectProblem, firstSignIn, mirrorRow, signInClient, startHarness } from './tenants-harness.js';

let h: Harness;
let receiver: WebhookReceiver;
let worker: RunningApi | undefined;

const WORKER = {
  WEBHOOK_DELIVERY_ENABLED: 'true',
  WEBHOOK_POLL_INTERVAL_MS: '100',
  WEBHOOK_RETRY_SCHEDULE_MS: '300,600,1200,2400,4800,9600',
  WEBHOOK_LEASE_MS: '5000',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_DISABLE_AFTER_MS: String(10 * 60_000),
};

async function startWorker(overrides: Record<string, string> = {}): Promise<void> {
  worker = await startApi(testConfig({ ...WORKER, ...overrides }));
}

async function stopWorker(): Promise<void> {
  await worker?.close();
  worker = undefined;
}

/** The receiver's check, written independently of apps/api/src/events/standard-webhooks.ts. */
function verifiedBy(secret: string, request: ReceivedRequest): boolean {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signatures = request.headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.rawBody}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

interface AdminSession {
  readonly tenant: TenantJson;
  readonly token: string;
}

async function tenantWithAdmin(): Promise<AdminSession> {
  const { tenant, email } = await createTenant(h, { tier: 'basic' });
  const admin = await mirrorRow(h, tenant.id, email);
  const { accessToken } = await firstSignIn(h, signInClient(tenant), admin!.username);
  return { tenant, token: accessToken };
}

async function subscribe(session: AdminSession, path: string, eventTypes: string[]): Promise<{ id: string; secret: string }> {
  const created = await h.call('/v1/webhooks', { method: 'POST', token: session.token, body: { url: `${receiver.baseUrl}${path}`, eventTypes } });
  expect(created.status, created.text).toBe(201);
  expect(created.body.secret).toMatch(/^whsec_/);
  return { id: created.body.id, secret: created.body.secret };
}

async function invite(session: AdminSession, role = 'member'): Promise<string> {
  const response = await h.call('/v1/users', { method: 'POST', token: session.token, body: { email: uniqueEmail(), role } });
  expect(response.status, response.text).toBe(201);
  return response.body.id;
}

async function deliveries(session: AdminSession, webhookId: string) {
  const response = await h.call(`/v1/webhooks/${webhookId}/deliveries`, { token: session.token });
  expect(response.status, response.text).toBe(200);
  return response.body.items as { id: string; eventId: string; eventType: string; status: string; attempts: number; attemptLog: { statusCode: number | null }[] }[];
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  h = await startHarness();
  receiver = await startWebhookReceiver();
  await startWorker();
}, 180_000);

afterAll(async () => {
  await stopWorker();
  await receiver?.close();
  await h?.close();
});

describe('webhooks', () => {
  it('delivers a tenant’s events in order, signed per Standard Webhooks, to that tenant’s endpoint only', async () => {
    const a = await tenantWithAdmin();
    const b = await tenantWithAdmin();
    const types = ['user.invited', 'user.role_changed', 'user.disabled', 'user.enabled'];
    const ours = await subscribe(a, '/order-a', types);
    await subscribe(b, '/order-b', types);

    const userId = await invite(a);
    expect((await h.call(`/v1/users/${userId}`, { method: 'PATCH', token: a.token, body: { role: 'viewer' } })).status).toBe(200);
    expect((await h.call(`/v1/users/${userId}/disable`, { method: 'POST', token: a.token })).status).toBe(200);
    expect((await h.call(`/v1/users/${userId}/enable`, { method: 'POST', token: a.token })).status).toBe(200);

    const got = await receiver.waitFor('/order-a', (requests) => requests.length >= 4);
    expect(got.map((request) => request.body.type)).toEqual(types);
    for (const request of got) {
      expect(verifiedBy(ours.secret, request)).toBe(true);
      expect(request.headers['webhook-id']).toBe(request.body.id);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.body).toMatchObject({ version: 1, tenantId: a.tenant.id, data: { tenantId: a.tenant.id, userId } });
    }
    expect(got[1]!.body.data).toMatchObject({ from: 'member', to: 'viewer' });
    // Tampering is detected by the same independent check.
    expect(verifiedBy(ours.secret, { ...got[0]!, rawBody: got[0]!.rawBody.replace(userId, a.tenant.id) })).toBe(false);
    // Tenant B's endpoint heard nothing of tenant A.
    expect(receiver.at('/order-b')).toEqual([]);

    const log = await deliveries(a, ours.id);
    expect(log.map((delivery) => delivery.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(log[0]!.attemptLog).toEqual([expect.objectContaining({ statusCode: 204 })]);
  }, 180_000);

  it('retries a failing delivery with backoff, across a restart of the worker, and keeps later events behind it', async () => {
    const a = await tenantWithAdmin();
    const hook = await subscribe(a, '/retry', ['user.invited']);
    receiver.answer('/retry', 503);
    const first = await invite(a);
    await receiver.waitFor('/retry', (requests) => requests.length >= 2);
    const second = await invite(a);

    await stopWorker();
    const failedSoFar = receiver.at('/retry').length;
    // Both are still queued; only the first was ever tried (per-endpoint order: the second waits behind it).
    expect(receiver.at('/retry').every((request) => request.body.data.userId === first)).toBe(true);
    receiver.answer('/retry', 200);
    await startWorker();

    const got = await receiver.waitFor('/retry', (requests) => requests.some((request) => request.body.data.userId === second));
    const succeeded = got.slice(failedSoFar);
    expect(succeeded.map((request) => request.body.data.userId)).toEqual([first, second]);
    // One message id per event, on every attempt.
    expect(new Set(got.filter((request) => request.body.data.userId === first).map((request) => request.headers['webhook-id'])).size).toBe(1);
    // The retries were spaced out (backoff), not sent back to back.
    const attempts = got.filter((request) => request.body.data.userId === first).map((request) => request.receivedAt);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(250);
    for (const request of got) expect(verifiedBy(hook.secret, request)).toBe(true);

    const log = await until(async () => {
      const items = await deliveries(a, hook.id);
      return items.every((item) => item.status === 'succeeded') ? items : undefined;
    }, 'both deliveries to succeed');
    const firstDelivery = log.find((item) => item.attempts > 1)!;
    expect(firstDelivery.attemptLog.slice(0, 2).map((attempt) => attempt.statusCode)).toEqual([503, 503]);
    expect(firstDelivery.attemptLog.at(-1)!.statusCode).toBe(200);
  }, 180_000);

  it('replays a delivery on request, with the same webhook-id, and signs with both secrets while a rotation overlaps', async () => {
    const a = await tenantWithAdmin();
    const hook = await subscribe(a, '/replay', ['user.invited']);
    await invite(a);
    const [original] = await receiver.waitFor('/replay', (requests) => requests.length >= 1);
    const [delivery] = await deliveries(a, hook.id);

    const replayed = await h.call(`/v1/webhooks/${hook.id}/deliveries/${delivery!.id}/replay`, { method: 'POST', token: a.token });
    expect(replayed.status, replayed.text).toBe(202);
    const both = await receiver.waitFor('/replay', (requests) => requests.length >= 2);
    expect(both[1]!.headers['webhook-id']).toBe(original!.headers['webhook-id']);
    expect(both[1]!.rawBody).toBe(original!.rawBody);
    expect(verifiedBy(hook.secret, both[1]!)).toBe(true);

    const rotated = await h.call(`/v1/webhooks/${hook.id}/rotate-secret`, { method: 'POST', token: a.token, body: { overlapSeconds: 3600 } });
    expect(rotated.status, rotated.text).toBe(201);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.previousSecretExpiresAt).toEqual(expect.any(String));
    await invite(a);
    const third = (await receiver.waitFor('/replay', (requests) => requests.length >= 3))[2]!;
    expect(third.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifiedBy(rotated.body.secret, third)).toBe(true);
    expect(verifiedBy(hook.secret, third)).toBe(true);

    // Without overlap the old secret stops signing at once.
    const again = await h.call(`/v1/webhooks/${hook.id}/rotate-secret`, { method: 'POST', token: a.token, body: { overlapSeconds: 0 } });
    expect(again.status).toBe(201);
    await invite(a);
    const fourth = (await receiver.waitFor('/replay', (requests) => requests.length >= 4))[3]!;
    expect(verifiedBy(again.body.secret, fourth)).toBe(true);
    expect(verifiedBy(rotated.body.secret, fourth)).toBe(false);
  }, 180_000);

  it('sends each event once with two workers running (endpoint leases), in order', async () => {
    const second = await startApi(testConfig(WORKER));
    try {
      const a = await tenantWithAdmin();
      const hook = await subscribe(a, '/two-workers', ['user.invited']);
      const invited: string[] = [];
      for (let index = 0; index < 6; index += 1) invited.push(await invite(a));
      const log = await until(async () => {
        const items = await deliveries(a, hook.id);
        return items.length === invited.length && items.every((item) => item.status === 'succeeded') ? items : undefined;
      }, 'every delivery to succeed');
      // Every send happens before its success is recorded: had a second worker sent one too, it would be here by now.
      const got = receiver.at('/two-workers');
      expect(got.map((request) => request.body.data.userId)).toEqual(invited);
      expect(log.every((item) => item.attemptLog.length === 1)).toBe(true);
    } finally {
      await second.close();
    }
  }, 180_000);

  it('operators’ platform endpoints receive every tenant’s events', async () => {
    const created = await h.admin('/v1/admin/webhooks', {
      method: 'POST',
      body: { url: `${receiver.baseUrl}/platform`, eventTypes: ['tenant.created', 'tenant.activated', 'tenant.suspended'] },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.tenantId).toBeNull();
    const { tenant } = await createTenant(h, { tier: 'basic' });
    expect((await h.admin(`/v1/admin/tenants/${tenant.id}/suspend`, { method: 'POST' })).status).toBeLessThan(300);
    const mine = (requests: ReceivedRequest[]) => requests.filter((request) => request.body.tenantId === tenant.id);
    const got = mine(await receiver.waitFor('/platform', (requests) => mine(requests).length >= 3));
    expect(got.map((request) => request.body.type)).toEqual(['tenant.created', 'tenant.activated', 'tenant.suspended']);
    for (const request of got) expect(verifiedBy(created.body.secret, request)).toBe(true);
    // Nobody else's business: a tenant admin does not see platform endpoints.
    expect((await h.admin(`/v1/admin/webhooks/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
  }, 180_000);

  it('disables an endpoint that keeps failing, with an event and an audit entry', async () => {
    await stopWorker();
    await startWorker({ WEBHOOK_DISABLE_AFTER_MS: '1000', WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800,1600,3200,6400,12800' });
    const a = await tenantWithAdmin();
    receiver.answer('/dead', 500);
    const dead = await subscribe(a, '/dead', ['user.invited']);
    const watcher = await subscribe(a, '/watcher', ['webhook_endpoint.disabled']);
    await invite(a);

    const [notice] = await receiver.waitFor('/watcher', (requests) => requests.length >= 1);
    expect(notice!.body).toMatchObject({ type: 'webhook_endpoint.disabled', data: { endpointId: dead.id, tenantId: a.tenant.id } });
    expect(verifiedBy(watcher.secret, notice!)).toBe(true);
    const endpoint = await h.call(`/v1/webhooks/${dead.id}`, { token: a.token });
    expect(endpoint.body).toMatchObject({ enabled: false, disabledReason: 'failing' });
    const audit = await h.call('/v1/audit-events?action=webhook.endpoint.disable', { token: a.token });
    expect(audit.body.items).toEqual([expect.objectContaining({ target: `webhook-endpoint:${dead.id}`, actorType: 'system' })]);

    // Re-enabled by its admin, it gets the queued delivery once the receiver is back.
    receiver.answer('/dead', 204);
    expect((await h.call(`/v1/webhooks/${dead.id}`, { method: 'PATCH', token: a.token, body: { enabled: true } })).body.enabled).toBe(true);
    const after = await receiver.waitFor('/dead', (requests) => requests.at(-1)!.receivedAt > notice!.receivedAt);
    expect(verifiedBy(dead.secret, after.at(-1)!)).toBe(true);
    await until(async () => ((await deliveries(a, dead.id))[0]?.status === 'succeeded' ? true : undefined), 'the queued delivery to succeed');
  }, 180_000);

  describe('rules of every route', () => {
    let a: AdminSession;
    let b: AdminSession;
    let hookOfA: string;

    beforeAll(async () => {
      a = await tenantWithAdmin();
      b = await tenantWithAdmin();
      hookOfA = (await subscribe(a, '/rules', ['user.invited'])).id;
    }, 180_000);

    it('refuses without a token, with the wrong role, and for another tenant', async () => {
      expectProblem(await h.call('/v1/webhooks'), 401);
      expectProblem(await h.call('/v1/admin/webhooks'), 401);
      // Tenant admins are not operators, operators are not tenant admins.
      expectProblem(await h.call('/v1/admin/webhooks', { token: a.token }), 403);
      expectProblem(await h.admin('/v1/webhooks'), 403);
      // Another tenant's endpoint does not exist for B; operators' routes show platform endpoints only.
      expectProblem(await h.call(`/v1/webhooks/${hookOfA}`, { token: b.token }), 404, 'webhook_not_found');
      expectProblem(await h.call(`/v1/webhooks/${hookOfA}`, { method: 'DELETE', token: b.token }), 404, 'webhook_not_found');
      expectProblem(await h.call(`/v1/webhooks/${hookOfA}/deliveries`, { token: b.token }), 404, 'webhook_not_found');
      expectProblem(await h.admin(`/v1/admin/webhooks/${hookOfA}`), 404, 'webhook_not_found');
      expect((await h.call('/v1/webhooks', { token: b.token })).body.items).toEqual([]);
    });

    it('answers 400 for bad input and refuses URLs with credentials', async () => {
      expectProblem(await h.call('/v1/webhooks', { method: 'POST', token: a.token, body: { url: 'not a url', eventTypes: ['user.invited'] } }), 400, 'validation_failed');
      expectProblem(
        await h.call('/v1/webhooks', { method: 'POST', token: a.token, body: { url: 'https://user:pw@hooks.example.com/x', eventTypes: ['user.invited'] } }),
        400,
        'validation_failed',
      );
      expectProblem(await h.call('/v1/webhooks', { method: 'POST', token: a.token, body: { url: `${receiver.baseUrl}/x`, eventTypes: ['user.nope'] } }), 400, 'validation_failed');
      expectProblem(await h.call('/v1/webhooks', { method: 'POST', token: a.token, body: { url: `${receiver.baseUrl}/x`, eventTypes: [] } }), 400, 'validation_failed');
      expectProblem(await h.call('/v1/webhooks/not-a-uuid', { token: a.token }), 400, 'validation_failed');
      expectProblem(await h.call(`/v1/webhooks/${hookOfA}`, { method: 'PATCH', token: a.token, body: {} }), 400, 'validation_failed');
      expectProblem(await h.call(`/v1/webhooks/${hookOfA}/rotate-secret`, { method: 'POST', token: a.token, body: { overlapSeconds: -1 } }), 400, 'validation_failed');
      expectProblem(await h.call(`/v1/webhooks/${hookOfA}/deliveries/${hookOfA}/replay`, { method: 'POST', token: a.token }), 404, 'webhook_delivery_not_found');
    });
  });
});
