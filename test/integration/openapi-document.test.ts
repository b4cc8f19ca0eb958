/**
 * The OpenAPI document as client generators read it (issue 13, item 6): built by the
 * running app, linted clean by Redocly's recommended ruleset (`redocly.yaml`) and
 * Spectral's `spectral:oas` (`.spectral.yaml`), one `ProblemDetails` schema on every
 * error response, typed success responses, readable operation ids, described tags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../support/app.js';
import { redoclyFindings, spectralFindings } from '../support/openapi-lint.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const PROBLEM_REF = '#/components/schemas/ProblemDetails';

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operation: Json;
}

let api: RunningApi;
let document: Json;

function operations(doc: Json = document): Operation[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method] })),
  );
}

function byId(operationId: string): Json {
  const found = operations().find((entry) => entry.operation.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId}`);
  return found.operation;
}

/** A schema with `$ref`s to components resolved, one level. */
function resolve(schema: Json): Json {
  if (schema?.$ref === undefined) return schema;
  const name = String(schema.$ref).replace('#/components/schemas/', '');
  return document.components.schemas[name];
}

beforeAll(async () => {
  api = await startApi();
  const response = await fetch(`${api.baseUrl}/openapi.json`);
  expect(response.status).toBe(200);
  document = await response.json();
}, 120_000);

afterAll(async () => {
  await api?.close();
});

describe('OpenAPI document linting', () => {
  it('lints clean with Redocly’s recommended ruleset (redocly.yaml)', async () => {
    expect(await redoclyFindings(document)).toEqual([]);
  });

  it('lints clean with Spectral’s spectral:oas (.spectral.yaml)', async () => {
    expect(await spectralFindings(document)).toEqual([]);
  });

  it('the linters do report a document that breaks their rules (a clean result means something)', async () => {
    const broken = structuredClone(document);
    delete broken.info.license;
    broken.tags = broken.tags.map((tag: Json) => ({ name: tag.name }));
    broken.paths['/v1/me'].get.operationId = 'lookupTenant';
    delete broken.paths['/v1/me'].get.security;
    const redocly = (await redoclyFindings(broken)).join('\n');
    expect(redocly).toContain('info-license');
    expect(redocly).toContain('tag-description');
    expect(redocly).toContain('operation-operationId-unique');
    expect(redocly).toContain('security-defined');
    const spectral = (await spectralFindings(broken)).join('\n');
    expect(spectral).toContain('operation-operationId-unique');
  });
});

describe('OpenAPI document contents', () => {
  it('is OpenAPI 3.1 with servers, contact, license and a bearer scheme for Cognito access tokens', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers.length).toBeGreaterThan(0);
    expect(document.info.contact.url).toMatch(/^https:\/\//);
    expect(document.info.license.url).toMatch(/^https:\/\//);
    const bearer = document.components.securitySchemes.bearer;
    expect(bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(bearer.description).toContain('Cognito access token');
    expect(bearer.description).toContain('ID tokens are refused');
  });

  it('gives every operation a readable, unique operationId', () => {
    const ids = operations().map((entry) => entry.operation.operationId as string);
    expect(ids.length).toBeGreaterThan(40);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z]+$/.test(id) || /Controller/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['lookupTenant', 'signIn', 'answerChallenge', 'getMe', 'startTotpSetup', 'verifyTotp', 'getLiveness', 'getReadiness']) {
      expect(ids).toContain(id);
    }
  });

  it('describes every tag an operation uses', () => {
    const described = new Map<string, string>(document.tags.map((tag: Json) => [tag.name, tag.description]));
    const used = new Set(operations().flatMap((entry) => entry.operation.tags ?? []));
    const missing = [...used].filter((tag) => !described.get(tag)?.trim());
    expect(missing, 'add these tags with a description to OPENAPI_TAGS (apps/api/src/common/openapi/openapi-document.ts)').toEqual([]);
    expect(operations().filter((entry) => (entry.operation.tags ?? []).length === 0)).toEqual([]);
  });

  it('documents every error response as ProblemDetails under application/problem+json, and every route has some', () => {
    const wrong: string[] = [];
    for (const { method, path, operation } of operations()) {
      const errors = Object.entries<Json>(operation.responses).filter(([status]) => /^[45]\d\d$/.test(status));
      if (errors.length === 0) wrong.push(`${method} ${path}: no error responses`);
      for (const [status, response] of errors) {
        const content = response.content ?? {};
        if (Object.keys(content).join() !== 'application/problem+json' || content['application/problem+json'].schema?.$ref !== PROBLEM_REF) {
          wrong.push(`${method} ${path} ${status}: ${JSON.stringify(content)}`);
        }
        if (['429', '503'].includes(status) && response.headers?.['Retry-After'] === undefined) wrong.push(`${method} ${path} ${status}: no Retry-After`);
      }
    }
    expect(wrong).toEqual([]);
    expect(document.components.schemas.ProblemDetails.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
  });

  it('matches what the API really sends on an error', async () => {
    const response = await fetch(`${api.baseUrl}/v1/tenants/lookup?slug=no-such-tenant-here`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body: Json = await response.json();
    const schema = document.components.schemas.ProblemDetails;
    for (const field of schema.required) expect(body).toHaveProperty(field);
    expect(body.code).toMatch(new RegExp(schema.properties.code.pattern));
    expect(byId('lookupTenant').responses['404']).toBeDefined();
  });

  it('documents public routes with security [] and every other route with the bearer scheme', () => {
    for (const { operation } of operations()) {
      const access = operation['x-gatehouse-access'];
      expect(access, operation.operationId).toBeDefined();
      expect(operation.security, operation.operationId).toEqual(access.public ? [] : [{ bearer: [] }]);
      if (!access.public) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(byId('lookupTenant').security).toEqual([]);
    expect(byId('getMe').security).toEqual([{ bearer: [] }]);
  });

  it('types the success responses of me, tenant lookup, TOTP set-up, sign-in and health', () => {
    const body = (operationId: string, status: string) => resolve(byId(operationId).responses[status].content['application/json'].schema);
    const me = body('getMe', '200');
    expect(me.required).toEqual(expect.arrayContaining(['user', 'tenant', 'roles']));
    expect(me.properties.user.properties.email).toEqual({ type: 'string' });
    const lookup = body('lookupTenant', '200');
    expect(lookup.required).toEqual(['tenant', 'cognito', 'identityProviders', 'sso']);
    expect(lookup.properties.cognito.required).toEqual(expect.arrayContaining(['region', 'userPoolId', 'clientId', 'issuer']));
    expect(body('startTotpSetup', '201').required).toEqual(['secretCode', 'otpauthUri']);
    expect(byId('verifyTotp').responses['204']).toBeDefined();
    expect(body('getLiveness', '200').properties.status).toMatchObject({ const: 'ok' });
    expect(body('getReadiness', '200').properties.checks.properties.database).toMatchObject({ const: 'ok' });
    const signIn = body('signIn', '200');
    expect(signIn.anyOf.map((branch: Json) => branch.properties.status.const)).toEqual(['signed_in', 'challenge']);
  });

  it('gives every success response with a body a typed schema', () => {
    const untyped: string[] = [];
    for (const { method, path, operation } of operations()) {
      for (const [status, response] of Object.entries<Json>(operation.responses)) {
        if (!/^2\d\d$/.test(status) || response.content === undefined) continue;
        for (const [mediaType, media] of Object.entries<Json>(response.content)) {
          const schema = resolve(media.schema);
          if (!schema || (schema.type === undefined && schema.anyOf === undefined && schema.oneOf === undefined)) untyped.push(`${method} ${path} ${status} ${mediaType}`);
        }
      }
    }
    expect(untyped).toEqual([]);
  });
});
