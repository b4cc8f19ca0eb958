/**
 * Hostile input at the edge (issue 10 finding 7, issue 12 row 7): NUL bytes and
 * unpaired surrogates in a body field, a query string, a path parameter or a
 * token claim; broken percent-encoding in the path or the query; a path
 * parameter over 100 characters. Each is a 4xx application/problem+json with a
 * stable code and a requestId — never a 500, never Fastify's own JSON.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpResponse, type World, buildWorld } from '../support/world.js';

let world: World;
let token: string;

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
  expect(response.body.requestId).toEqual(expect.any(String));
  expect(response.headers['x-request-id']).toBe(response.body.requestId);
}

beforeAll(async () => {
  world = await buildWorld();
  token = (await world.tokens(world.users.poolA.admin)).accessToken;
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('NUL and unpaired surrogates', () => {
  it('in a body field: 400 validation_failed naming the field', async () => {
    const nul = await world.call('/v1/projects', { method: 'POST', token, body: { name: 'a\u0000b' } });
    expectProblem(nul, 400, 'validation_failed');
    expect(nul.body.errors).toEqual([expect.objectContaining({ path: 'body.name' })]);
    // JSON.stringify would escape a lone surrogate as \ud800 anyway; send it as the client would.
    expectProblem(await world.call('/v1/projects', { method: 'POST', token, rawBody: '{"name":"a\\ud800b"}' }), 400, 'validation_failed');
    expectProblem(await world.call('/v1/projects', { method: 'POST', token, rawBody: '{"name":"ok","n\\u0000":1}' }), 400, 'validation_failed');
  });

  it('in public identity bodies (before Cognito is asked)', async () => {
    const tenant = world.tenants.poolA.slug;
    for (const body of [
      { tenant, email: 'a@b.test', password: 'x\u0000y' },
      { tenant, email: 'a\u0000@b.test', password: 'Sturdy-Password-2026' },
    ]) {
      expectProblem(await world.call('/v1/auth/sign-in', { method: 'POST', body }), 400, 'validation_failed');
      expectProblem(await world.call('/v1/auth/sign-up', { method: 'POST', body }), 400, 'validation_failed');
    }
  });

  it('in a query string: 400', async () => {
    expectProblem(await world.call('/v1/users?q=a%00b', { token }), 400, 'validation_failed');
    expectProblem(await world.call('/v1/tenants/lookup?email=a%00b@x.test'), 400, 'validation_failed');
    // An encoded lone surrogate is not valid UTF-8.
    expectProblem(await world.call('/v1/users?q=%ED%A0%80', { token }), 400, 'malformed_url');
  });

  it('in a path parameter: 400', async () => {
    expectProblem(await world.call('/v1/users/a%00b', { token }), 400, 'validation_failed');
    expectProblem(await world.call('/v1/projects/%ED%A0%80', { token }), 400, 'malformed_url');
  });

  it('in a verified token claim: 401 invalid_token (no lookup with it)', async () => {
    expectProblem(await world.call('/v1/me', { token: world.fixtureToken({ sub: 'user\u0000x' }) }), 401, 'invalid_token');
    expectProblem(await world.call('/v1/me', { token: world.fixtureToken({ email: 'x\u0000@fixture-g.test', sub: 'fresh-user-nul' }) }), 401, 'invalid_token');
    expectProblem(await world.call('/v1/me', { token: world.fixtureToken({ groups: ['admin', 'x\ud800'] }) }), 401, 'invalid_token');
  });
});

describe('malformed URLs', () => {
  it('broken percent-encoding in the path: 400 malformed_url as problem+json', async () => {
    for (const path of ['/v1/users/%E0%A4%A', '/v1/%', '/v1/projects/%zz']) {
      const response = await world.call(path, { token });
      expectProblem(response, 400, 'malformed_url');
      expect(response.text).not.toContain('FST_ERR');
    }
  });

  it('broken percent-encoding in the query: 400 malformed_url', async () => {
    expectProblem(await world.call('/v1/users?q=%E0%A4%A', { token }), 400, 'malformed_url');
    expectProblem(await world.call('/v1/tenants/lookup?slug=%', {}), 400, 'malformed_url');
  });

  it('a path parameter over 100 characters: 414 uri_too_long as problem+json, without echoing it', async () => {
    for (const method of ['GET', 'DELETE', 'PATCH']) {
      const response = await world.call(`/v1/users/${'a'.repeat(150)}`, { method, token });
      expectProblem(response, 414, 'uri_too_long');
      expect(response.text).not.toContain('a'.repeat(150));
    }
  });
});

describe('requests Node’s HTTP parser refuses', () => {
  it('a NUL byte in a header: 400 problem+json with a requestId, the connection closed', async () => {
    const url = new URL(world.api.baseUrl);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('GET /v1/projects HTTP/1.1\r\nHost: x\r\nX-Test: a\u0000b\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/content-type: application\/problem\+json/i);
    const problem = JSON.parse(body) as { code: string; requestId: string };
    expect(problem.code).toBe('bad_request');
    expect(head).toContain(`x-request-id: ${problem.requestId}`);
  });
});
