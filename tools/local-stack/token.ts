/**
 * `npm run -s token -- --tenant <slug> --user <email> [--password <pw>]` or
 * `npm run -s token -- --operator`: prints an access token for the stack that
 * `npm start` runs, for curl and friends. Local mode only: the tenant user
 * signs in through the API's own `POST /v1/auth/sign-in` (the demo password
 * unless `--password`); the operator is the seeded one (`.gatehouse/seed-operator.json`),
 * signed in at the emulator's operators' pool with a TOTP code from its secret.
 * The token goes to stdout alone; everything else to stderr.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListUserPoolClientsCommand, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { OPERATORS_POOL_KEY } from '@gatehouse/tiers';
import { createEmulatorClient } from './cognito.js';
import { type LocalOperator, signInLocalOperator } from './seed.js';

/** What `npm start` seeds (local only); see seed.ts. */
export const DEMO_PASSWORD = 'Demo-Password-2026';
/** `npm start`'s deployment name: the prefix of its emulator pools. */
export const LOCAL_DEPLOYMENT = 'gatehouse-local';

export type TokenRequest =
  | { readonly kind: 'tenant'; readonly api: string; readonly tenant: string; readonly email: string; readonly password: string }
  | { readonly kind: 'operator'; readonly cognitoEndpoint: string; readonly deployment: string; readonly operatorFile: string };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: npm run -s token -- --tenant <slug> --user <email> [--password <password>] [--api <url>]
       npm run -s token -- --operator [--cognito <url>] [--operator-file <path>]`;

export function parseTokenArgs(
  argv: readonly string[],
  defaults: { api: string; cognitoEndpoint: string; dataDir: string },
): TokenRequest {
  const options = new Map<string, string>();
  let operator = false;
  for (let index = 0; index < argv.length; index += 1) {
    const name = argv[index]!;
    if (name === '--') continue; // `node tools/run.mjs token -- ...` passes npm's separator through
    if (name === '--operator') {
      operator = true;
      continue;
    }
    if (!['--tenant', '--user', '--password', '--api', '--cognito', '--operator-file'].includes(name)) throw new UsageError(`unknown option ${name}`);
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
    options.set(name, value);
    index += 1;
  }
  if (operator) {
    if (options.has('--tenant') || options.has('--user')) throw new UsageError('--operator takes no --tenant or --user');
    return {
      kind: 'operator',
      cognitoEndpoint: options.get('--cognito') ?? defaults.cognitoEndpoint,
      deployment: LOCAL_DEPLOYMENT,
      operatorFile: options.get('--operator-file') ?? join(defaults.dataDir, 'seed-operator.json'),
    };
  }
  const tenant = options.get('--tenant');
  const email = options.get('--user');
  if (!tenant || !email) throw new UsageError('give --tenant and --user, or --operator');
  return { kind: 'tenant', api: options.get('--api') ?? defaults.api, tenant, email, password: options.get('--password') ?? DEMO_PASSWORD };
}

/** A tenant user's access token, through the API's public sign-in. */
export async function tenantAccessToken(request: Extract<TokenRequest, { kind: 'tenant' }>): Promise<string> {
  const response = await fetch(`${request.api.replace(/\/+$/, '')}/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: request.tenant, email: request.email, password: request.password }),
  });
  const body = (await response.json().catch(() => undefined)) as
    | { status?: string; challenge?: string; tokens?: { accessToken?: string }; code?: string; detail?: string }
    | undefined;
  if (response.ok && body?.status === 'signed_in' && body.tokens?.accessToken) return body.tokens.accessToken;
  if (response.ok && body?.status === 'challenge') {
    throw new Error(`sign-in needs the ${body.challenge ?? 'next'} challenge first: answer it at /v1/auth/challenge (or sign in once through a front end)`);
  }
  throw new Error(`sign-in answered ${response.status} ${body?.code ?? ''}: ${body?.detail ?? 'no details'}`);
}

/** The seeded operator's access token (password + TOTP at the emulator's operators' pool). */
export async function operatorAccessToken(request: Extract<TokenRequest, { kind: 'operator' }>): Promise<string> {
  const operator = JSON.parse(await readFile(request.operatorFile, 'utf8')) as LocalOperator;
  const client = createEmulatorClient(request.cognitoEndpoint);
  try {
    const poolName = `${request.deployment}-${OPERATORS_POOL_KEY}`;
    const pools = (await client.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? [];
    const userPoolId = pools.find((pool) => pool.Name === poolName)?.Id;
    if (!userPoolId) throw new Error(`no user pool "${poolName}" at ${request.cognitoEndpoint}: is npm start running?`);
    const clients = (await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }))).UserPoolClients ?? [];
    const clientId = clients[0]?.ClientId;
    if (!clientId) throw new Error(`the operators' pool ${userPoolId} has no app client`);
    return (await signInLocalOperator(client, { userPoolId, clientId }, operator)).accessToken;
  } finally {
    client.destroy();
  }
}

export function accessToken(request: TokenRequest): Promise<string> {
  return request.kind === 'tenant' ? tenantAccessToken(request) : operatorAccessToken(request);
}
