/**
 * Fault: an API replica crashes (SIGKILL) mid-provisioning. Another replica,
 * already running, takes the tenant over by its periodic lease sweep — no
 * restart of anything — and finishes it without duplicating what the crashed
 * one created. Leases and sweeps are shortened through their settings.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseState, phaseOf } from '../../apps/api/src/tenants/provisioning/provisioning-state.js';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import { type ApiReplica, CRASHING_REPLICA, spawnApi, startApiReplica } from '../support/app.js';
import { privilegedClient, stackInfo } from '../support/database.js';
import { uniqueEmail, uniqueSlug } from '../support/factories.js';

// Long enough for the test to read the abandoned row before it is taken over, short enough to keep the test quick.
const LEASE = { PROVISIONING_LEASE_MS: '5000', PROVISIONING_SWEEP_INTERVAL_MS: '300' };

let privileged: PrismaClient;
let survivor: ApiReplica | undefined;

beforeAll(async () => {
  privileged = privilegedClient();
  // The survivor runs before the crash: its boot-time pass has nothing to resume, so only its sweep can.
  survivor = await startApiReplica(LEASE);
});

afterAll(async () => {
  await survivor?.stop();
  await privileged?.$disconnect();
});

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('a replica killed mid-provisioning: the running replica’s sweep resumes the tenant once the lease expires', async () => {
  const slug = uniqueSlug('crash');
  const adminEmail = uniqueEmail();
  const crashing = spawnApi(apiEnvironment(stackInfo(), { LOG_LEVEL: 'warn', ...LEASE }), CRASHING_REPLICA, [slug, 'mirror_admin', adminEmail]);
  const crash = await crashing.exit;
  expect(crash.signal, crash.stderr).toBe('SIGKILL');

  const tenant = await privileged.tenant.findUniqueOrThrow({ where: { slug } });
  const abandoned = parseState(tenant.provisioning);
  expect(tenant.status).toBe('provisioning');
  expect(abandoned.done.invite_admin).toBeDefined();
  expect(abandoned.done.mirror_admin).toBeUndefined();
  expect(abandoned.lease).not.toBeNull();

  const finished = await waitFor(
    () => privileged.tenant.findUniqueOrThrow({ where: { slug } }),
    (row) => row.status !== 'provisioning',
    `tenant ${slug} to leave provisioning`,
  );
  expect(finished.status).toBe('active');
  const state = parseState(finished.provisioning);
  expect(state.resumes).toBe(1);
  expect(state.lastResumedAt).not.toBeNull();
  expect(Date.parse(state.lastResumedAt!)).toBeGreaterThanOrEqual(Date.parse(abandoned.lease!.until));
  // Resumed exactly where the crash happened: invite_admin before the takeover, mirror_admin after it.
  expect(state.done.invite_admin).toBe(abandoned.done.invite_admin);
  expect(Date.parse(state.done.mirror_admin!)).toBeGreaterThanOrEqual(Date.parse(state.lastResumedAt!));
  expect(state.lastError).toBeNull();
  expect(state.lease).toBeNull();
  expect(phaseOf(state, new Date())).toBe('idle');
  // The admin invited by the crashed replica is the one that was mirrored: no second invitation.
  expect(state.created.adminUsername).toBe(abandoned.created.adminUsername);
  const admins = await privileged.user.findMany({ where: { tenantId: finished.id } });
  expect(admins.map((user) => [user.email, user.username])).toEqual([[adminEmail.toLowerCase(), abandoned.created.adminUsername]]);

  // The operators' view says what happened.
  const audit = await privileged.auditEvent.findMany({ where: { tenantId: finished.id, action: 'tenant.provision' } });
  expect(audit).toHaveLength(1);
}, 60_000);
