/**
 * Schema-driven fuzzing (issue 12, row 7): reads the API's own OpenAPI
 * document, and for every route sends hostile values in every path parameter,
 * query parameter and body field (one at a time) and hostile whole bodies,
 * as a tenant admin or as an operator. Whatever the input, the answer is never
 * a 5xx, every error is application/problem+json with a stable code and a
 * requestId, and no stack trace or internal path leaks. The case count is
 * bounded and deterministic, so `npm test` runs it every time.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, createTenant, firstSignIn, mirrorRow, signInClient, startHarness } from '../e2e/tenants-harness.js';

/** Upper bound on requests, so the suite's cost stays fixed as routes are added. */
const MAX_CASES = 2500;
const CONCURRENCY = 6;
const VALUES_PER_TARGET = 6;

const NUL = '\u0000';
const HOSTILE_STRINGS: readonly string[] = [
  NUL,
  `a${NUL}b`,
  '\uD800',
  'x\uDFFFy',
  '',
  ' ',
  'x'.repeat(10_000),
  '%00',
  '../../../etc/passwd',
  "' OR '1'='1' --",
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '\u202Egnp.exe',
  'Ａ\uFF20ｂ.test',
  '😀',
  '-1',
  '1e309',
  'NaN',
  'null',
  '00000000-0000-0000-0000-000000000000',
  'http://169.254.169.254/latest/meta-data/',
  'a@b',
];
const HOSTILE_VALUES: readonly unknown[] = [...HOSTILE_STRINGS, null, true, -1, 1e308, [], {}, [NUL], { nested: NUL }, 0.5];
/** Raw path segments that are not just an encoded value. */
const RAW_SEGMENTS: readonly string[] = ['%', '%zz', '%E0%A4%A', '%ED%A0%80', 'a'.repeat(101), '%2e%2e', '%00'];
const HOSTILE_BODIES: readonly string[] = [
  '[]',
  '"text"',
  'null',
  '1',
  '{',
  '{"a":',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"x":1}}}',
  '{"name":"\\u0000"}',
];

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  /** Top-level body fields, and `parent.child` for fields of nested objects. */
  readonly bodyFields: readonly string[];
  readonly hasBody: boolean;
}

interface Case {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly token?: string;
}

interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly requestId: string | undefined;
  readonly text: string;
}

let h: Harness;
let tenantAdminToken: string;
let operations: Operation[];

/** Percent-encodes a value as a client would; an unpaired surrogate becomes its (invalid) UTF-8 bytes. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.replace(/[\uD800-\uDFFF]/g, (unit) => {
      const code = unit.charCodeAt(0);
      return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    }).split(/(%[0-9A-F]{2})/).map((part) => (part.startsWith('%') ? part : encodeURIComponent(part))).join('');
  }
}

/** JSON that keeps unpaired surrogates as escapes (JSON.stringify already does) and NULs as \u0000. */
function json(value: unknown): string {
  return JSON.stringify(value);
}

function rawCall(baseUrl: string, testCase: Case): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = {};
  if (testCase.token) headers['authorization'] = `Bearer ${testCase.token}`;
  if (testCase.body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname: url.hostname, port: url.port, path: testCase.path, method: testCase.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let requestId: string | undefined;
        try {
          requestId = (JSON.parse(text) as { requestId?: string }).requestId;
        } catch {
          requestId = undefined;
        }
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), requestId, text });
      });
    });
    req.on('error', reject);
    if (testCase.body !== undefined) req.write(testCase.body);
    req.end();
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function operationsOf(document: Json): Operation[] {
  const found: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(document.paths)) {
    if (!path.startsWith('/v1/')) continue; // /health and /docs take no input
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const operation = item[method];
      if (!operation) continue;
      const parameters: Json[] = operation.parameters ?? [];
      const schema = operation.requestBody?.content?.['application/json']?.schema ?? {};
      const bodyFields: string[] = [];
      for (const [name, property] of Object.entries<Json>(schema.properties ?? {})) {
        bodyFields.push(name);
        for (const child of Object.keys(property?.properties ?? {})) bodyFields.push(`${name}.${child}`);
      }
      found.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        queryParams: parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
        bodyFields,
        hasBody: operation.requestBody !== undefined,
      });
    }
  }
  return found;
}

/** Deterministic choice of hostile values for the n-th target; NUL is always among them. */
function valuesFor(index: number): unknown[] {
  const picked: unknown[] = [NUL];
  for (let k = 0; k < VALUES_PER_TARGET; k += 1) picked.push(HOSTILE_VALUES[(index * VALUES_PER_TARGET + k) % HOSTILE_VALUES.length]);
  return picked;
}

function fillPath(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => values[name] ?? '3f1f8a52-0c2f-4f55-9b0a-6a3c8f0e1d2b');
}

function setField(path: string, value: unknown): Record<string, unknown> {
  const [head, child] = path.split('.') as [string, string | undefined];
  return child === undefined ? { [head]: value } : { [head]: { [child]: value } };
}

function casesFor(operation: Operation, token: string | undefined, counter: { n: number }): Case[] {
  const cases: Case[] = [];
  const base = { method: operation.method, ...(token ? { token } : {}) };
  const body = operation.hasBody ? '{}' : undefined;
  for (const name of operation.pathParams) {
    const segments = [...valuesFor(counter.n++).map((value) => encode(String(value))), ...RAW_SEGMENTS];
    for (const segment of segments) {
      cases.push({ ...base, label: `path ${name}=${segment.slice(0, 20)}`, path: fillPath(operation.path, { [name]: segment }), ...(body ? { body } : {}) });
    }
  }
  for (const name of operation.queryParams) {
    const values = [...valuesFor(counter.n++).map((value) => encode(String(value))), '%', '%E0%A4%A', '%ED%A0%80'];
    for (const value of values) {
      cases.push({ ...base, label: `query ${name}=${value.slice(0, 20)}`, path: `${fillPath(operation.path, {})}?${name}=${value}`, ...(body ? { body } : {}) });
    }
  }
  if (operation.hasBody) {
    for (const field of operation.bodyFields) {
      for (const value of valuesFor(counter.n++)) {
        cases.push({ ...base, label: `body ${field}=${json(value).slice(0, 20)}`, path: fillPath(operation.path, {}), body: json(setField(field, value)) });
      }
    }
    for (const raw of HOSTILE_BODIES) {
      cases.push({ ...base, label: `body ${raw.slice(0, 20)}`, path: fillPath(operation.path, {}), body: raw });
    }
  }
  return cases;
}

function problemsWith(testCase: Case, response: RawResponse): string[] {
  const where = `${testCase.method} ${testCase.path.slice(0, 120)} [${testCase.label}] → ${response.status}`;
  const problems: string[] = [];
  if (response.status >= 500 || response.status < 200) problems.push(`${where}: server error ${response.text.slice(0, 200)}`);
  if (response.status >= 400) {
    if (!response.contentType.startsWith('application/problem+json')) problems.push(`${where}: content-type ${response.contentType}`);
    let code: unknown;
    try {
      code = (JSON.parse(response.text) as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    if (typeof code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(code)) problems.push(`${where}: no stable code in ${response.text.slice(0, 200)}`);
    if (!response.requestId) problems.push(`${where}: no requestId`);
  }
  if (/\n\s+at |node_modules|\.[jt]s:\d+:\d+|FST_ERR/.test(response.text)) problems.push(`${where}: internals leaked: ${response.text.slice(0, 200)}`);
  return problems;
}

beforeAll(async () => {
  h = await startHarness();
  const { tenant, email } = await createTenant(h, { tier: 'basic' });
  const admin = await mirrorRow(h, tenant.id, email);
  tenantAdminToken = (await firstSignIn(h, signInClient(tenant), admin!.username)).accessToken;
  const document = await h.call('/openapi.json');
  expect(document.status).toBe(200);
  operations = operationsOf(document.body);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('OpenAPI-driven fuzzing', () => {
  it('finds the routes and their inputs in the document', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.some((operation) => operation.pathParams.length > 0)).toBe(true);
    expect(operations.some((operation) => operation.queryParams.length > 0)).toBe(true);
    expect(operations.some((operation) => operation.bodyFields.length > 0)).toBe(true);
  });

  it('never answers 5xx, always problem+json with a stable code and a requestId, never a stack trace', async () => {
    const counter = { n: 0 };
    const cases = operations.flatMap((operation) =>
      casesFor(operation, operation.path.startsWith('/v1/admin/') ? h.operatorToken : tenantAdminToken, counter),
    );
    expect(cases.length).toBeGreaterThan(operations.length * 5);
    expect(cases.length).toBeLessThanOrEqual(MAX_CASES);

    const problems: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const testCase = cases[next++]!;
          problems.push(...problemsWith(testCase, await rawCall(h.api.baseUrl, testCase)));
        }
      }),
    );
    expect(problems.slice(0, 25), `${problems.length} problems`).toEqual([]);
  }, 180_000);
});
