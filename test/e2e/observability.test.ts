/**
 * Operations over real HTTP: Prometheus metrics scraped from their own port,
 * OpenTelemetry spans received by a real OTLP/HTTP receiver on loopback, the
 * request log line, security headers and the /docs switch.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../apps/api/src/app.factory.js';
import { createLogger } from '../../apps/api/src/common/logger.js';
import { MetricsServer } from '../../apps/api/src/observability/metrics-server.js';
import { Tracing } from '../../apps/api/src/observability/tracing.js';
import { startApi, testConfig } from '../support/app.js';
import { uniqueEmail } from '../support/factories.js';
import { generateRsaKey } from '../support/jwt.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { PUBLIC_BASE_DOMAIN, type World, buildWorld, call } from '../support/world.js';

let receiver: OtlpReceiver;
let world: World;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  world = await buildWorld({ METRICS_PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, RATE_LIMIT_PER_USER_PER_HOUR: '1' });
}, 120_000);

afterAll(async () => {
  await world?.close();
  await receiver?.close();
});

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics', () => {
  it('are scraped from their own port, with route templates and bounded labels, never personal data', async () => {
    const member = world.users.poolA.member;
    const { accessToken } = await world.tokens(member);
    expect((await world.call('/v1/me', { token: accessToken })).status).toBe(200);
    expect((await world.call('/v1/me', { token: world.fixtureToken() })).status).toBe(200); // first fixture token: a JWKS fetch
    expect((await world.call('/v1/me', { token: world.fixtureToken({}, { key: generateRsaKey(world.fixtureKey.kid) }) })).status).toBe(401);
    const secret = uniqueEmail();
    expect((await world.call(`/v1/tenants/lookup?email=${encodeURIComponent(secret)}`)).status).toBe(404);
    const signIn = await world.call('/v1/auth/sign-in', { method: 'POST', body: { tenant: world.tenants.poolA.slug, email: member.email, password: 'Wrong-Password-1' } });
    expect(signIn.status).toBe(401);
    const forgot = () => world.call('/v1/auth/forgot-password', { method: 'POST', body: { tenant: world.tenants.poolB.slug, email: secret } });
    expect((await forgot()).status).toBe(202);
    expect((await forgot()).status).toBe(429);

    const port = world.api.app.get(MetricsServer).port;
    expect(port).toBeGreaterThan(0);
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scrape.text();

    expect(sample(text, 'gatehouse_http_requests_total', { method: 'GET', route: '/v1/me', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'gatehouse_http_requests_total', { route: '/v1/tenants/lookup', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gatehouse_http_request_duration_seconds_count', { method: 'GET', route: '/v1/me' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'gatehouse_token_verifications_total', { outcome: 'valid' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'gatehouse_token_verifications_total', { outcome: 'invalid_token' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gatehouse_jwks_fetches_total', { outcome: 'success' })).toBeGreaterThanOrEqual(1);
    // The refusal counted under the AWS error name (the emulator says InvalidPasswordException where Cognito says NotAuthorizedException).
    expect(text).toMatch(/^gatehouse_cognito_calls_total\{operation="InitiateAuth",outcome="\w+Exception"\} 1$/m);
    expect(sample(text, 'gatehouse_cognito_call_duration_seconds_count', { operation: 'InitiateAuth' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gatehouse_rate_limit_refusals_total', { limit: 'user' })).toBe(1);
    expect(sample(text, 'gatehouse_issuer_registry_size', { kind: 'tenants' })).toBeGreaterThanOrEqual(7);
    expect(sample(text, 'gatehouse_db_pool_connections', { pool: 'application', state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE gatehouse_provisioning_runs_total counter');
    expect(text).toContain('gatehouse_process_resident_memory_bytes');
    // Route templates only: no raw URL, query string or address reaches a label.
    expect(text).not.toContain(secret);
    expect(text).not.toContain('email=');
    expect(text).not.toMatch(/route="[^"]*\?/);

    // The public listener does not serve metrics.
    expect((await world.call('/metrics')).status).toBe(404);
  });
});

describe('tracing', () => {
  it('continues the caller’s traceparent with spans for the request, the guard, the database and Cognito', async () => {
    const member = world.users.siloE.member;
    const { accessToken } = await world.tokens(member);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const me = await world.call('/v1/me', { token: accessToken, headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    expect(me.status).toBe(200);
    const signInTrace = 'a3ce929d0e0e47364bf92f3577b34da6';
    const signIn = await world.call('/v1/auth/sign-in', {
      method: 'POST',
      body: { tenant: world.tenants.siloE.slug, email: member.email, password: 'Correct-Horse-42-battery' },
      headers: { traceparent: `00-${signInTrace}-${parentId}-01` },
    });
    expect(signIn.status).toBe(200);
    await world.api.app.get(Tracing).flush();

    expect(receiver.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
    const inTrace = receiver.spans.filter((span) => span.traceId === traceId);
    const server = inTrace.find((span) => span.name === 'GET /v1/me');
    expect(server).toMatchObject({ parentSpanId: parentId, serviceName: 'gatehouse-api', attributes: { 'http.route': '/v1/me', 'http.response.status_code': 200 } });
    const guard = inTrace.find((span) => span.name === 'access guard');
    expect(guard?.parentSpanId).toBe(server?.spanId);
    const queries = inTrace.filter((span) => span.name.startsWith('db '));
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.every((span) => span.attributes['db.system'] === 'postgresql')).toBe(true);
    expect(queries.every((span) => inTrace.some((parent) => parent.spanId === span.parentSpanId))).toBe(true);

    const cognito = receiver.spans.filter((span) => span.traceId === signInTrace && span.name === 'cognito InitiateAuth');
    expect(cognito).toHaveLength(1);
    expect(cognito[0]?.attributes['rpc.method']).toBe('InitiateAuth');
    // Nothing personal in span names or attributes.
    expect(JSON.stringify(receiver.spans)).not.toContain(member.email);
  });
});

describe('request log, security headers, /docs', () => {
  it('writes one line per request with requestId, tenantId and userId, and no query string', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, next) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        next();
      },
    });
    const config = testConfig({ PUBLIC_BASE_DOMAIN, LOG_LEVEL: 'info' });
    const app = await createApp(config, { logger: createLogger('info', sink) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.getHttpServer().address();
      const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const member = world.users.bridgeC.member;
      const { accessToken } = await world.tokens(member);
      const me = await call(baseUrl, '/v1/me', { token: accessToken });
      expect(me.status).toBe(200);
      const secret = uniqueEmail();
      const lookup = await call(baseUrl, `/v1/tenants/lookup?email=${encodeURIComponent(secret)}`);
      expect(lookup.status).toBe(404);

      const requestLines = lines.filter((line) => line['msg'] === 'request completed');
      const meLine = requestLines.find((line) => line['requestId'] === me.headers['x-request-id']);
      expect(meLine).toMatchObject({ method: 'GET', route: '/v1/me', statusCode: 200, tenantId: member.tenant.id, userId: member.userId });
      const lookupLine = requestLines.find((line) => line['requestId'] === lookup.headers['x-request-id']);
      expect(lookupLine).toMatchObject({ route: '/v1/tenants/lookup', statusCode: 404, tenantId: null, userId: null });
      expect(lookupLine).not.toHaveProperty('url');
      const everything = lines.map((line) => JSON.stringify(line)).join('\n');
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(accessToken);
      expect(lines.some((line) => 'reqId' in line)).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('sends security headers on answers and on errors, with a policy Swagger UI works under', async () => {
    for (const path of ['/health/live', '/v1/no-such-route', '/docs']) {
      const response = await world.call(path);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    }
    const docs = await world.call('/docs');
    expect(docs.status).toBe(200);
    // Swagger UI must not need an inline script, which the policy forbids.
    expect(docs.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
  });

  it('serves no /docs or OpenAPI document when OPENAPI_DOCS_ENABLED=false', async () => {
    const api = await startApi(testConfig({ OPENAPI_DOCS_ENABLED: 'false' }));
    try {
      for (const path of ['/docs', '/openapi.json', '/openapi.yaml']) {
        const response = await call(api.baseUrl, path);
        expect(response.status).toBe(404);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    } finally {
      await api.close();
    }
  });
});
