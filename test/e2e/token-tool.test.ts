/**
 * `npm run token` (issue 10, finding 8): the access tokens it prints work
 * against the API — a tenant user's through the API's own sign-in, and the
 * seeded operator's through the emulator's operators' pool with TOTP.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { createLocalOperator } from '../../tools/local-stack/seed.js';
import { operatorAccessToken, tenantAccessToken } from '../../tools/local-stack/token.js';
import { stackInfo } from '../support/database.js';
import { uniqueEmail } from '../support/factories.js';
import { type Harness, NEW_PASSWORD, createTenant, firstSignIn, mirrorRow, signInClient, startHarness } from './tenants-harness.js';

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-token-'));
}, 120_000);

afterAll(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run token', () => {
  it('prints a tenant user’s access token that the API accepts as that user', async () => {
    const { tenant, email } = await createTenant(h, { tier: 'basic' });
    const admin = await mirrorRow(h, tenant.id, email);
    await firstSignIn(h, signInClient(tenant), admin!.username);

    const token = await tenantAccessToken({ kind: 'tenant', api: h.api.baseUrl, tenant: tenant.slug, email, password: NEW_PASSWORD });
    const me = await h.call('/v1/me', { token });
    expect(me.status, me.text).toBe(200);
    expect(me.body.tenant.slug).toBe(tenant.slug);

    await expect(tenantAccessToken({ kind: 'tenant', api: h.api.baseUrl, tenant: tenant.slug, email, password: 'Wrong-Password-1' })).rejects.toThrow(
      /401 invalid_credentials/,
    );
  });

  it('prints the operator’s access token that the operators’ API accepts', async () => {
    const stack = stackInfo();
    const pool = stack.sharedPools['operators']!;
    const client = createEmulatorClient(stack.cognitoEndpoint, stack.region);
    const operator = await createLocalOperator(client, { userPoolId: pool.userPoolId, clientId: pool.clientId! }, {
      email: uniqueEmail('ops.test'),
      password: 'Operator-Password-2026',
    });
    client.destroy();
    const operatorFile = join(dir, 'seed-operator.json');
    await writeFile(operatorFile, JSON.stringify(operator));

    const token = await operatorAccessToken({ kind: 'operator', cognitoEndpoint: stack.cognitoEndpoint, deployment: 'gatehouse-test', operatorFile });
    const tenants = await h.call('/v1/admin/tenants?limit=1', { token });
    expect(tenants.status, tenants.text).toBe(200);
  });
});
