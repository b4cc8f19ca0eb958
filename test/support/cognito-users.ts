/**
 * Users, pools and app clients in the Cognito emulator of the integration
 * stack, through the AWS SDK (no mocks): what the identity module does in
 * production, done directly so suites can get real Cognito tokens.
 *
 * Usernames are opaque UUIDs (Gatehouse pools have no e-mail alias); the
 * e-mail is an attribute. Pools and clients are shaped by the same blueprint
 * mapping the API uses (user-pool-requests.ts), so they match production.
 */
import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  type AppClientRole,
  type UserPoolBlueprint,
  loadTierConfigurationFile,
  sharedPoolBlueprints,
  siloPoolBlueprint,
} from '@gatehouse/tiers';
import {
  toCreateUserPoolClientInput,
  toCreateUserPoolInput,
  toSetUserPoolMfaConfigInput,
} from '../../apps/api/src/identity/cognito/user-pool-requests.js';
import { createEmulatorClient, emulatorIssuer } from '../../tools/local-stack/cognito.js';
import type { LocalStackInfo } from '../../tools/local-stack/stack.js';

type Stack = Pick<LocalStackInfo, 'cognitoEndpoint' | 'region' | 'deployment' | 'sharedPools'>;

export interface CreateCognitoUserInput {
  readonly email: string;
  readonly password: string;
  /** Groups (roles) to add the user to; they must exist in the pool. */
  readonly groups?: readonly string[];
  /** Extra attributes, e.g. `{ 'custom:tenantId': id, 'custom:tenantTier': 'basic' }`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Default: a random UUID. */
  readonly username?: string;
  /** Default true. */
  readonly emailVerified?: boolean;
}

export interface CognitoUser {
  readonly userPoolId: string;
  readonly username: string;
  readonly sub: string;
}

export interface CognitoTokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

export interface CreatedUserPool {
  readonly userPoolId: string;
  /** `<cognitoEndpoint>/<userPoolId>` — the `iss` of its tokens. */
  readonly issuer: string;
  /** The pool's public app client (silo tenants get one with the pool). */
  readonly clientId: string;
  /** The pool's confidential Gatehouse client. */
  readonly gatehouseClientId: string;
  readonly region: string;
}

/** `poolKeyOrPoolId`: a shared pool's key (`basic`, `standard`, `operators`) or a user pool id. */
export function resolveUserPoolId(stack: Stack, poolKeyOrPoolId: string): string {
  return stack.sharedPools[poolKeyOrPoolId]?.userPoolId ?? poolKeyOrPoolId;
}

/**
 * A confirmed user with a permanent password (AdminCreateUser with the welcome
 * message suppressed, then AdminSetUserPassword `Permanent: true`), in the
 * given groups.
 */
export async function createCognitoUser(stack: Stack, poolKeyOrPoolId: string, input: CreateCognitoUserInput): Promise<CognitoUser> {
  const userPoolId = resolveUserPoolId(stack, poolKeyOrPoolId);
  const username = input.username ?? randomUUID();
  return withClient(stack, async (client) => {
    const attributes = {
      email: input.email,
      email_verified: String(input.emailVerified ?? true),
      ...input.attributes,
    };
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
      }),
    );
    await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: input.password, Permanent: true }));
    for (const group of input.groups ?? []) {
      await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: group }));
    }
    const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
    if (user.UserStatus !== 'CONFIRMED') throw new Error(`user ${username} is ${user.UserStatus ?? 'in no state'}, expected CONFIRMED`);
    const sub = user.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    if (!sub) throw new Error(`user ${username} has no sub attribute`);
    return { userPoolId, username, sub };
  });
}

/**
 * InitiateAuth `USER_PASSWORD_AUTH`. Throws on a challenge (MFA,
 * NEW_PASSWORD_REQUIRED) — this helper is for users without one.
 */
export async function signInWithPassword(stack: Stack, clientId: string, username: string, password: string): Promise<CognitoTokens> {
  return withClient(stack, async (client) => {
    const response = await client.send(
      new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password } }),
    );
    if (response.ChallengeName) {
      throw new Error(`sign-in of ${username} answered challenge ${response.ChallengeName}, not tokens`);
    }
    const result = response.AuthenticationResult;
    if (!result?.AccessToken || !result.IdToken || !result.RefreshToken) {
      throw new Error(`sign-in of ${username} returned no complete token set`);
    }
    return { accessToken: result.AccessToken, idToken: result.IdToken, refreshToken: result.RefreshToken };
  });
}

/**
 * An app client in an existing pool (a bridge tenant's client in the
 * `standard` pool), shaped by that pool's blueprint. Returns the client id.
 */
export async function createAppClient(stack: Stack, userPoolId: string, name: string, role: AppClientRole = 'public'): Promise<string> {
  const blueprint = blueprintOfPool(stack, userPoolId);
  return withClient(stack, async (client) => {
    const created = await client.send(new CreateUserPoolClientCommand(toCreateUserPoolClientInput(blueprint, { ...blueprint.clients[role], name }, userPoolId)));
    const clientId = created.UserPoolClient?.ClientId;
    if (!clientId) throw new Error(`CreateUserPoolClient "${name}" in ${userPoolId} returned no client id`);
    return clientId;
  });
}

/**
 * A silo tenant's pool, as provisioning creates it: the first silo tier's
 * blueprint (pool, MFA setting, role groups) plus its app client.
 * `name` is the tenant slug in the pool name.
 */
export async function createUserPool(stack: Stack, name: string): Promise<CreatedUserPool> {
  const config = loadTierConfigurationFile();
  const tier = config.tiers.find((candidate) => candidate.model === 'silo');
  if (!tier) throw new Error('the tier configuration has no silo tier');
  const blueprint = siloPoolBlueprint(tier, name, { deployment: stack.deployment, deletionProtection: false });
  return withClient(stack, async (client) => {
    const created = await client.send(new CreateUserPoolCommand(toCreateUserPoolInput(blueprint)));
    const userPoolId = created.UserPool?.Id;
    if (!userPoolId) throw new Error(`CreateUserPool "${blueprint.poolName}" returned no pool id`);
    siloBlueprints.set(userPoolId, blueprint);
    await client.send(new SetUserPoolMfaConfigCommand(toSetUserPoolMfaConfigInput(blueprint, userPoolId)));
    for (const group of blueprint.groups) {
      await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: group }));
    }
    const appClient = await client.send(new CreateUserPoolClientCommand(toCreateUserPoolClientInput(blueprint, blueprint.clients.public, userPoolId)));
    const clientId = appClient.UserPoolClient?.ClientId;
    const gatehouseClient = await client.send(new CreateUserPoolClientCommand(toCreateUserPoolClientInput(blueprint, blueprint.clients.gatehouse, userPoolId)));
    const gatehouseClientId = gatehouseClient.UserPoolClient?.ClientId;
    if (!clientId || !gatehouseClientId) throw new Error(`CreateUserPoolClient in ${userPoolId} returned no client id`);
    return { userPoolId, issuer: emulatorIssuer(stack.cognitoEndpoint, userPoolId), clientId, gatehouseClientId, region: stack.region };
  });
}

/** Blueprints of silo pools created by this worker, so their clients get the right token lifetimes. */
const siloBlueprints = new Map<string, UserPoolBlueprint>();

function blueprintOfPool(stack: Stack, userPoolId: string): UserPoolBlueprint {
  const silo = siloBlueprints.get(userPoolId);
  if (silo) return silo;
  const blueprints = sharedPoolBlueprints(loadTierConfigurationFile(), { deployment: stack.deployment, deletionProtection: false });
  const key = Object.entries(stack.sharedPools).find(([, pool]) => pool.userPoolId === userPoolId)?.[0];
  const blueprint = blueprints.find((candidate) => candidate.key === key) ?? blueprints[0];
  if (!blueprint) throw new Error('the tier configuration yields no pool blueprint');
  return blueprint;
}

async function withClient<T>(stack: Stack, run: (client: CognitoIdentityProviderClient) => Promise<T>): Promise<T> {
  const client = createEmulatorClient(stack.cognitoEndpoint, stack.region);
  try {
    return await run(client);
  } finally {
    client.destroy();
  }
}
