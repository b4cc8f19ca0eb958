/**
 * A client generated from the live OpenAPI document, as a front-end team would make
 * one (issue 13, item 6): `openapi-typescript` writes the types into a temporary
 * folder, and a small consumer using `openapi-fetch`'s `createClient` must type-check
 * with `tsc --strict`. The consumer fails to compile if a response it names is
 * `unknown` (or missing), so an untyped response breaks the build here first.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../support/app.js';

const run = promisify(execFile);
const ROOT = process.cwd();

/** Compile-time checks: each `const x: Typed<...> = true` fails to compile when the body is unknown, missing or not an object. */
const CONSUMER = `
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type Typed<T> = [T] extends [never] ? false : unknown extends T ? false : T extends object ? true : false;
type Json<R> = R extends { content: { 'application/json': infer Body } } ? Body : never;
type Problem<R> = R extends { content: { 'application/problem+json': infer Body } } ? Body : never;

// The checker itself: an unknown or missing body is never "typed".
const unknownIsNotTyped: Typed<unknown> = false;
const neverIsNotTyped: Typed<Json<{ content: { 'text/plain': string } }>> = false;

const me: Typed<Json<paths['/v1/me']['get']['responses'][200]>> = true;
const lookup: Typed<Json<paths['/v1/tenants/lookup']['get']['responses'][200]>> = true;
const totpSetup: Typed<Json<paths['/v1/me/mfa/totp']['post']['responses'][201]>> = true;
const signIn: Typed<Json<paths['/v1/auth/sign-in']['post']['responses'][200]>> = true;
const challenge: Typed<Json<paths['/v1/auth/challenge']['post']['responses'][200]>> = true;
const live: Typed<Json<paths['/health/live']['get']['responses'][200]>> = true;
const ready: Typed<Json<paths['/health/ready']['get']['responses'][200]>> = true;
const lookupMiss: Typed<Problem<paths['/v1/tenants/lookup']['get']['responses'][404]>> = true;
const meRefused: Typed<Problem<paths['/v1/me']['get']['responses'][401]>> = true;
export const checks = [unknownIsNotTyped, neverIsNotTyped, me, lookup, totpSetup, signIn, challenge, live, ready, lookupMiss, meRefused];

export type TenantLookup = components['schemas']['TenantLookup'];
export type ProblemDetails = components['schemas']['ProblemDetails'];

const api = createClient<paths>({ baseUrl: 'https://api.example.test' });

/** What a front end writes: look up the tenant, sign in, answer a TOTP set-up, read the user. */
export async function signInFlow(email: string, password: string): Promise<string> {
  const found = await api.GET('/v1/tenants/lookup', { params: { query: { email } } });
  if (found.error) return found.error.code;
  const lookedUp: TenantLookup = found.data;
  const poolId: string = lookedUp.cognito.userPoolId;
  const slug: string = found.data.tenant.slug;

  const signedIn = await api.POST('/v1/auth/sign-in', { body: { tenant: slug, email, password } });
  if (signedIn.error) {
    const problem: ProblemDetails = signedIn.error;
    return problem.code;
  }
  let accessToken: string;
  if (signedIn.data.status === 'signed_in') {
    accessToken = signedIn.data.tokens.accessToken;
  } else {
    const secret: string | undefined = signedIn.data.mfaSetup?.secretCode;
    const answered = await api.POST('/v1/auth/challenge', {
      body: { tenant: slug, challenge: signedIn.data.challenge, session: signedIn.data.session, code: '123456' },
    });
    if (answered.error || answered.data.status !== 'signed_in') return secret ?? 'challenge';
    accessToken = answered.data.tokens.accessToken;
  }

  const headers = { authorization: \`Bearer \${accessToken}\` };
  const who = await api.GET('/v1/me', { headers });
  if (who.error) return who.error.code;
  const roles: string[] = who.data.roles;
  const setup = await api.POST('/v1/me/mfa/totp', { headers });
  const otpauth: string = setup.data?.otpauthUri ?? '';
  const verified = await api.POST('/v1/me/mfa/totp/verify', { headers, body: { code: '123456' } });
  const health = await api.GET('/health/ready');
  const database: 'ok' | undefined = health.data?.checks.database;
  return [poolId, who.data.user.email, who.data.tenant.model, roles.join(), otpauth, String(verified.response.status), database].join(' ');
}
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    target: 'es2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    lib: ['es2022', 'dom'],
    types: [],
    noUnusedLocals: false,
    skipLibCheck: true,
  },
  files: ['api.ts', 'consumer.ts'],
};

let api: RunningApi;
let dir: string;
let generated: string;

beforeAll(async () => {
  api = await startApi();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-client-'));
  // The consumer resolves openapi-fetch as an installed package would be.
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  generated = astToString(await openapiTS(new URL(`${api.baseUrl}/openapi.json`)));
  await writeFile(join(dir, 'api.ts'), generated);
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
}, 120_000);

afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function typeCheck(consumer: string): Promise<{ ok: boolean; output: string }> {
  await writeFile(join(dir, 'consumer.ts'), consumer);
  try {
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return { ok: true, output: '' };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` || failed.message };
  }
}

describe('a client generated with openapi-typescript', () => {
  it('names the operations and the ProblemDetails and TenantLookup schemas', () => {
    expect(generated).toContain('export interface paths');
    expect(generated).toContain('lookupTenant');
    expect(generated).toMatch(/ProblemDetails: \{/);
    expect(generated).toMatch(/TenantLookup: \{/);
  });

  it('type-checks a consumer written with openapi-fetch under tsc --strict, with no unknown in the responses it uses', async () => {
    const result = await typeCheck(CONSUMER);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  }, 120_000);

  it('fails that check for a response the document leaves untyped (the check can fail)', async () => {
    // `verifyTotp` answers 204 without a body: claiming it has a typed JSON body must not compile.
    const consumer = `${CONSUMER}\nconst noBody: Typed<Json<paths['/v1/me/mfa/totp/verify']['post']['responses'][204]>> = true;\n`;
    const line = consumer.split('\n').length - 1;
    const result = await typeCheck(consumer);
    expect(result.ok).toBe(false);
    // Exactly that line fails, and only it.
    expect(result.output.trim()).toBe(`consumer.ts(${line},7): error TS2322: Type 'true' is not assignable to type 'false'.`);
  }, 120_000);

  it('talks to the running API at run time too', async () => {
    // The same package the consumer compiles against, here untyped: the document is only known at run time.
    const client = createClient<Record<string, never>>({ baseUrl: api.baseUrl });
    const ready = await (client as unknown as { GET(path: string): Promise<{ data?: unknown; response: Response }> }).GET('/health/ready');
    expect(ready.response.status).toBe(200);
    expect(ready.data).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });
});
