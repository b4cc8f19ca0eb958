/**
 * The pool contract: for the same blueprints (libs/tiers), what the Pulumi
 * component would create (recorded through `pulumi.runtime.setMocks`) and
 * what the API's SDK mapping sends (user-pool-requests.ts: silo pools, bridge
 * clients, the emulator's pools) must agree field by field, in both
 * directions: every setting either side sends must exist, with the same value,
 * on the other. A setting added to one side only fails here.
 *
 * SDK inputs are normalised to Pulumi's spelling (camelCase, plus the few
 * renamed fields listed in RENAMES); both sides are then flattened to
 * `path → value` and compared as whole maps.
 */
import {
  type CognitoTriggerArns,
  parseTierConfiguration,
  sharedPoolBlueprints,
  type UserPoolBlueprint,
} from '@gatehouse/tiers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  toCreateUserPoolClientInput,
  toCreateUserPoolInput,
  toSetUserPoolMfaConfigInput,
} from '../../../apps/api/src/identity/cognito/user-pool-requests.js';
import { MOCK_REGION, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./tier-user-pools.js');

/** Varied on purpose: every MFA setting, threat protection modes, both sign-up settings, custom policies and lifetimes. */
const tiers = parseTierConfiguration({
  tiers: [
    { name: 'basic', model: 'pool', mfa: 'OFF' },
    {
      name: 'standard',
      model: 'bridge',
      mfa: 'OPTIONAL',
      threatProtection: 'AUDIT',
      tokenValidity: { accessTokenMinutes: 20, idTokenMinutes: 25, refreshTokenDays: 7 },
    },
    {
      name: 'closed',
      model: 'pool',
      mfa: 'ON',
      selfSignUp: false,
      threatProtection: 'ENFORCED',
      passwordPolicy: { minimumLength: 16, requireSymbols: true, temporaryPasswordValidityDays: 2 },
    },
    { name: 'premium', model: 'silo' },
  ],
  operators: { mfa: 'ON' },
});
const DEPLOYMENT = 'gatehouse-contract';
const triggers: CognitoTriggerArns = {
  preSignUp: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-contract-pre-sign-up',
  preTokenGeneration: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-contract-pre-token-generation',
  postEvents: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-contract-post-events',
  userMigration: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-contract-user-migration',
  defineAuthChallenge: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-contract-define-auth-challenge',
  createAuthChallenge: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-contract-create-auth-challenge',
  verifyAuthChallengeResponse: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-contract-verify-auth-challenge-response',
};
const hostedUi = { callbackUrls: ['https://app.example.com/callback'], logoutUrls: ['https://app.example.com/'] };
/** Pulumi's shared pools always have deletion protection; so does the blueprint compared here. */
const blueprints = sharedPoolBlueprints(tiers, { deployment: DEPLOYMENT, deletionProtection: true });

/** SDK field names whose Pulumi name is not just the camelCase of the SDK name. */
const RENAMES: Readonly<Record<string, string>> = {
  poolName: 'name',
  schema: 'schemas',
  userPoolTags: 'tags',
  attributesRequireVerificationBeforeUpdate: 'attributesRequireVerificationBeforeUpdates',
  clientName: 'name',
  allowedOAuthFlows: 'allowedOauthFlows',
  allowedOAuthScopes: 'allowedOauthScopes',
  allowedOAuthFlowsUserPoolClient: 'allowedOauthFlowsUserPoolClient',
  callbackURLs: 'callbackUrls',
  logoutURLs: 'logoutUrls',
};

function pulumiName(sdkKey: string): string {
  const camel = sdkKey.charAt(0).toLowerCase() + sdkKey.slice(1);
  return RENAMES[camel] ?? camel;
}

/** SDK input in Pulumi's spelling; `Policies.PasswordPolicy` is Pulumi's top-level `passwordPolicy`. */
function normaliseSdk(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseSdk);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'Policies') Object.assign(out, normaliseSdk(inner) as object);
    else out[pulumiName(key)] = normaliseSdk(inner);
  }
  return out;
}

/** `{a: {b: [1]}}` → `{'a.b.0': 1}`; undefined leaves are dropped (neither side sends them). */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value === undefined) return out;
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((inner, index) => [String(index), inner] as const) : Object.entries(value);
    if (entries.length === 0) out[prefix] = Array.isArray(value) ? [] : {};
    for (const [key, inner] of entries) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
    return out;
  }
  out[prefix] = value;
  return out;
}

/** What the SDK path sends for a pool: CreateUserPool, then SetUserPoolMfaConfig (see user-pool-requests.ts). */
function sdkPool(blueprint: UserPoolBlueprint): Record<string, unknown> {
  const { MfaConfiguration: _createdWithMfaOff, ...create } = toCreateUserPoolInput(blueprint, triggers);
  const { UserPoolId: _id, ...mfa } = toSetUserPoolMfaConfigInput(blueprint, 'pool-id');
  return flatten(normaliseSdk({ ...create, ...mfa }));
}

describe('pool contract: Pulumi and the SDK mapping create the same pools and clients', () => {
  let recorder: ResourceRecorder;
  let poolIds: Record<string, string>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    const mod: Module = await import('./tier-user-pools.js');
    const sut = new mod.TierUserPools('contract', {
      tiers,
      deployment: DEPLOYMENT,
      region: MOCK_REGION,
      domainPrefix: 'gh-contract',
      hostedUi,
      triggers,
    });
    poolIds = await valueOf(sut.poolIds);
    await recorder.settled();
  });

  const pulumiInputs = (type: string, name: string) => flatten(recorder.one(type, name).inputs);

  it('compares every shared pool the Pulumi component creates', () => {
    expect(recorder.ofType('aws:cognito/userPool:UserPool').map((pool) => pool.name).sort()).toEqual(
      blueprints.map((blueprint) => `contract-${blueprint.key}`).sort(),
    );
  });

  it.each(blueprints.map((blueprint) => [blueprint.key, blueprint] as const))('pool %s: every pool setting agrees', (_key, blueprint) => {
    const pulumi = pulumiInputs('aws:cognito/userPool:UserPool', `contract-${blueprint.key}`);
    const sdk = sdkPool(blueprint);
    expect(sdk).toEqual(pulumi);
    // Guard against a vacuous pass: the settings the issue names are present on both sides.
    for (const field of [
      'adminCreateUserConfig.allowAdminCreateUserOnly',
      'userAttributeUpdateSettings.attributesRequireVerificationBeforeUpdates.0',
      'schemas.0.mutable',
      'passwordPolicy.minimumLength',
      'mfaConfiguration',
      'softwareTokenMfaConfiguration.enabled',
      'lambdaConfig.preSignUp',
      'lambdaConfig.preTokenGenerationConfig.lambdaVersion',
      'lambdaConfig.postConfirmation',
      'lambdaConfig.postAuthentication',
      'lambdaConfig.userMigration',
      'lambdaConfig.defineAuthChallenge',
      'lambdaConfig.createAuthChallenge',
      'lambdaConfig.verifyAuthChallengeResponse',
      'userPoolAddOns.advancedSecurityMode',
    ]) {
      expect(Object.keys(pulumi)).toContain(field);
    }
  });

  const clientCases = blueprints
    .filter((blueprint) => blueprint.sharedClients)
    .flatMap((blueprint) => (['public', 'gatehouse'] as const).map((role) => [blueprint.key, role, blueprint] as const));

  it('compares both clients of every pool that has shared clients', () => {
    expect(recorder.ofType('aws:cognito/userPoolClient:UserPoolClient')).toHaveLength(clientCases.length);
  });

  it.each(clientCases)('pool %s, %s client: every client setting agrees', (key, role, blueprint) => {
    const resource = role === 'public' ? `contract-${key}-client` : `contract-${key}-gatehouse-client`;
    const pulumi = pulumiInputs('aws:cognito/userPoolClient:UserPoolClient', resource);
    const userPoolId = poolIds[key]!;
    const sdk = flatten(normaliseSdk(toCreateUserPoolClientInput(blueprint, blueprint.clients[role], userPoolId, hostedUi)));
    expect(sdk).toEqual(pulumi);
    for (const field of [
      'explicitAuthFlows.0',
      'readAttributes.0',
      'writeAttributes.0',
      'generateSecret',
      'preventUserExistenceErrors',
      'enableTokenRevocation',
      'enablePropagateAdditionalUserContextData',
      'accessTokenValidity',
    ]) {
      expect(Object.keys(pulumi)).toContain(field);
    }
  });

  it('detects a setting present on one side only (the comparison is not vacuous)', () => {
    const blueprint = blueprints[0]!;
    const sdk = sdkPool(blueprint);
    const pulumi = pulumiInputs('aws:cognito/userPool:UserPool', `contract-${blueprint.key}`);
    const { ['userAttributeUpdateSettings.attributesRequireVerificationBeforeUpdates.0']: _dropped, ...withoutOne } = sdk;
    expect(withoutOne).not.toEqual(pulumi);
  });
});
