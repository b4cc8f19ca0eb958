/**
 * The API skeleton over real HTTP: health, OpenAPI, problem+json, request ids,
 * the database-role boot check, configuration errors and graceful shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../apps/api/src/app.factory.js';
import { UnsafeDatabaseRoleError } from '../../apps/api/src/database/role-check.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import { type RunningApi, spawnApi, startApi, testConfig } from '../support/app.js';
import { databaseUrlAs, rawClient, stackInfo } from '../support/database.js';
import { findFreePort } from '../../tools/local-stack/ports.js';
import pino from 'pino';

let api: RunningApi;

beforeAll(async () => {
  api = await startApi();
});

afterAll(async () => {
  await api.close();
});

describe('health', () => {
  it('GET /health/live answers 200 without a token', async () => {
    const response = await fetch(`${api.baseUrl}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /health/ready checks the database', async () => {
    const response = await fetch(`${api.baseUrl}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });
});

describe('OpenAPI', () => {
  it('serves the document at /openapi.json and the UI at /docs', async () => {
    const document = await fetch(`${api.baseUrl}/openapi.json`);
    expect(document.status).toBe(200);
    const body = (await document.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    const ui = await fetch(`${api.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('errors are problem+json', () => {
  it('an unknown route gives 404 route_not_found', async () => {
    const response = await fetch(`${api.baseUrl}/no/such/route`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 404, code: 'route_not_found', instance: '/no/such/route' });
    expect(body['type']).toBe('https://gatehouse.dev/problems/route_not_found');
    expect(typeof body['requestId']).toBe('string');
  });

  it('echoes a well-formed caller request id and replaces a malformed one', async () => {
    const kept = await fetch(`${api.baseUrl}/health/live`, { headers: { 'x-request-id': 'trace-12345678' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-12345678');
    const replaced = await fetch(`${api.baseUrl}/health/live`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('database role check at boot', () => {
  async function bootWith(databaseUrl: string): Promise<unknown> {
    const app = await createApp(testConfig({ DATABASE_URL: databaseUrl }), { logger: pino({ level: 'silent' }) });
    try {
      await app.init();
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await app.close().catch(() => undefined);
    }
  }

  it('refuses to boot as a superuser', async () => {
    const error = await bootWith(databaseUrlAs(stackInfo().adminUrl, stackInfo().database));
    expect(error).toBeInstanceOf(UnsafeDatabaseRoleError);
    expect((error as Error).message).toMatch(/superuser/);
  });

  it('refuses to boot as a BYPASSRLS role', async () => {
    const admin = await rawClient(databaseUrlAs(stackInfo().adminUrl, stackInfo().database));
    try {
      await admin.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_test_bypass') THEN
          CREATE ROLE gatehouse_test_bypass LOGIN BYPASSRLS PASSWORD 'bypass-test';
        END IF; END $$`);
      await admin.query(`GRANT CONNECT ON DATABASE "${stackInfo().database}" TO gatehouse_test_bypass`);
    } finally {
      await admin.end();
    }
    const url = new URL(databaseUrlAs(stackInfo().adminUrl, stackInfo().database));
    url.username = 'gatehouse_test_bypass';
    url.password = 'bypass-test';
    const error = await bootWith(url.toString());
    expect(error).toBeInstanceOf(UnsafeDatabaseRoleError);
    expect((error as Error).message).toMatch(/BYPASSRLS/);
  });

  it('refuses to boot as the table owner', async () => {
    const error = await bootWith(stackInfo().databaseUrls.owner);
    expect(error).toBeInstanceOf(UnsafeDatabaseRoleError);
    expect((error as Error).message).toMatch(/owns/);
  });
});

describe('the API process', () => {
  it('exits 78 with a readable message, not a stack trace, on bad configuration', async () => {
    const { exit } = spawnApi({ GATEHOUSE_MODE: 'local', PORT: 'not-a-port', GATEHOUSE_SHARED_POOLS: '{oops' });
    const { code, stderr } = await exit;
    expect(code).toBe(78);
    expect(stderr).toMatch(/invalid configuration/);
    expect(stderr).toMatch(/DATABASE_URL: is required/);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/GATEHOUSE_SHARED_POOLS: is not valid JSON/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses local mode in production', async () => {
    const env = apiEnvironment(stackInfo(), { NODE_ENV: 'production' });
    const { code, stderr } = await spawnApi(env).exit;
    expect(code).toBe(78);
    expect(stderr).toMatch(/GATEHOUSE_MODE=local .* refused when NODE_ENV=production/);
  });

  it('serves, then shuts down cleanly on SIGTERM', async () => {
    const port = await findFreePort();
    const running = spawnApi(apiEnvironment(stackInfo(), { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }));
    let ready = false;
    // Boot can take several seconds on a loaded machine; wait up to 45 s (a bound, not a performance check).
    for (let attempt = 0; attempt < 450 && !ready; attempt += 1) {
      ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((response) => response.ok)
        .catch(() => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ready).toBe(true);
    running.kill('SIGTERM');
    const { code } = await running.exit;
    expect(code).toBe(0);
  });
});
