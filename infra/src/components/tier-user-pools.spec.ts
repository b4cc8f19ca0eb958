import { parseTierConfiguration, sharedPoolBlueprints } from '@gatehouse/tiers';
import { toEmailConfiguration } from '../../../apps/api/src/identity/cognito/user-pool-requests.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_REGION, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./tier-user-pools.js');

const PRE_SIGN_UP_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-test-pre-sign-up';
const PRE_TOKEN_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-test-pre-token-generation';
const POST_EVENTS_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-test-post-events';
const USER_MIGRATION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-test-user-migration';

const tiers = parseTierConfiguration({
  tiers: [
    { name: 'basic', model: 'pool' },
    { name: 'standard', model: 'bridge', threatProtection: 'AUDIT' },
    { name: 'closed', model: 'pool', selfSignUp: false },
    { name: 'premium', model: 'silo' },
  ],
  operators: { mfa: 'ON' },
});

describe('TierUserPools', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let sut: InstanceType<Module['TierUserPools']>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./tier-user-pools.js');
    sut = new mod.TierUserPools('pools', {
      tiers,
      deployment: 'gatehouse-test',
      region: MOCK_REGION,
      domainPrefix: 'gatehouse-test',
      hostedUi: { callbackUrls: ['https://app.example.com/callback'], logoutUrls: [] },
      triggers: { preSignUp: PRE_SIGN_UP_ARN, preTokenGeneration: PRE_TOKEN_ARN, postEvents: POST_EVENTS_ARN, userMigration: USER_MIGRATION_ARN },
    });
    await valueOf(sut.sharedPoolsJson);
    await recorder.settled();
  });

  const pools = () => recorder.ofType('aws:cognito/userPool:UserPool');
  const clients = () => recorder.ofType('aws:cognito/userPoolClient:UserPoolClient');

  it('creates one pool per pool/bridge tier plus the operators pool, none for silo tiers', () => {
    expect(pools().map((pool) => pool.inputs['name']).sort()).toEqual([
      'gatehouse-test-basic',
      'gatehouse-test-closed',
      'gatehouse-test-operators',
      'gatehouse-test-standard',
    ]);
  });

  it('turns deletion protection on for every pool', () => {
    expect(pools().map((pool) => pool.inputs['deletionProtection'])).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE']);
  });

  it('declares custom:tenantId and custom:tenantTier as immutable string attributes', () => {
    for (const pool of pools()) {
      const schemas = pool.inputs['schemas'] as { name: string; mutable: boolean; attributeDataType: string }[];
      expect(schemas.map((schema) => [schema.name, schema.mutable, schema.attributeDataType])).toEqual([
        ['tenantId', false, 'String'],
        ['tenantTier', false, 'String'],
      ]);
    }
  });

  it('lets only the confidential Gatehouse clients write the tenant attributes; every client reads them', () => {
    expect(clients()).not.toHaveLength(0);
    for (const client of clients()) {
      const writable = client.inputs['writeAttributes'] as string[];
      const gatehouse = client.name.endsWith('-gatehouse-client');
      expect(writable).toContain('email');
      expect(writable.filter((attribute) => attribute.startsWith('custom:'))).toEqual(gatehouse ? ['custom:tenantId', 'custom:tenantTier'] : []);
      expect(client.inputs['generateSecret']).toBe(gatehouse);
      expect(client.inputs['enablePropagateAdditionalUserContextData']).toBe(gatehouse);
      expect(client.inputs['readAttributes']).toEqual(expect.arrayContaining(['custom:tenantId', 'custom:tenantTier']));
    }
  });

  it('gives every pool-model and operators pool a confidential Gatehouse client that propagates user context, so threat protection sees the real client (row 3)', () => {
    const gatehouseClients = clients().filter((client) => client.name.endsWith('-gatehouse-client'));
    expect(gatehouseClients).not.toHaveLength(0);
    for (const client of gatehouseClients) {
      // Cognito accepts UserContextData from a server only for a client with a secret and this flag.
      expect(client.inputs).toMatchObject({ generateSecret: true, enablePropagateAdditionalUserContextData: true });
      expect(client.inputs['explicitAuthFlows']).toEqual(expect.arrayContaining(['ALLOW_USER_PASSWORD_AUTH']));
    }
  });

  it('uses opaque usernames: no e-mail username or alias, e-mail auto-verified', () => {
    for (const pool of pools()) {
      expect(pool.inputs['usernameAttributes']).toBeUndefined();
      expect(pool.inputs['aliasAttributes']).toBeUndefined();
      expect(pool.inputs['autoVerifiedAttributes']).toEqual(['email']);
    }
  });

  it('allows self sign-up exactly where the tier says so, never in the operators pool (finding 1)', () => {
    const adminOnly = (name: string) => recorder.one('aws:cognito/userPool:UserPool', name).inputs['adminCreateUserConfig'];
    expect(adminOnly('pools-basic')).toEqual({ allowAdminCreateUserOnly: false });
    expect(adminOnly('pools-standard')).toEqual({ allowAdminCreateUserOnly: false });
    expect(adminOnly('pools-closed')).toEqual({ allowAdminCreateUserOnly: true });
    expect(adminOnly('pools-operators')).toEqual({ allowAdminCreateUserOnly: true });
  });

  it('wires the pre sign-up and the V2 pre-token-generation triggers to every pool (finding 6)', () => {
    for (const pool of pools()) {
      expect(pool.inputs['lambdaConfig']).toEqual({
        preSignUp: PRE_SIGN_UP_ARN,
        preTokenGenerationConfig: { lambdaArn: PRE_TOKEN_ARN, lambdaVersion: 'V2_0' },
        // Sign-ins and confirmations at Cognito reach Gatehouse's events (README "Events and hooks").
        postConfirmation: POST_EVENTS_ARN,
        postAuthentication: POST_EVENTS_ARN,
        // A tier move's deferred users signing in at a target pool directly (README "Moving a tenant between tiers").
        userMigration: USER_MIGRATION_ARN,
      });
    }
  });

  it('applies the tier password policy and MFA with software tokens', () => {
    const operators = recorder.one('aws:cognito/userPool:UserPool', 'pools-operators');
    expect(operators.inputs['passwordPolicy']).toMatchObject({ minimumLength: 14, requireUppercase: true });
    expect(operators.inputs['mfaConfiguration']).toBe('ON');
    expect(operators.inputs['softwareTokenMfaConfiguration']).toEqual({ enabled: true });
  });

  it('turns threat protection on only where the tier asks, on the Plus plan', () => {
    const standard = recorder.one('aws:cognito/userPool:UserPool', 'pools-standard');
    const basic = recorder.one('aws:cognito/userPool:UserPool', 'pools-basic');
    expect(standard.inputs['userPoolAddOns']).toEqual({ advancedSecurityMode: 'AUDIT' });
    expect(standard.inputs['userPoolTier']).toBe('PLUS');
    expect(basic.inputs['userPoolAddOns']).toEqual({ advancedSecurityMode: 'OFF' });
  });

  it('creates the tenant role groups in tier pools and only platform-admin in the operators pool', () => {
    const groups = recorder.ofType('aws:cognito/userGroup:UserGroup').map((group) => group.name);
    expect(groups.filter((name) => name.startsWith('pools-basic-')).sort()).toEqual([
      'pools-basic-admin',
      'pools-basic-member',
      'pools-basic-viewer',
    ]);
    expect(groups.filter((name) => name.startsWith('pools-operators-'))).toEqual(['pools-operators-platform-admin']);
  });

  it('creates a public and a Gatehouse client for pool tiers and the operators pool, none for the bridge tier', () => {
    expect(clients().map((client) => client.name).sort()).toEqual([
      'pools-basic-client',
      'pools-basic-gatehouse-client',
      'pools-closed-client',
      'pools-closed-gatehouse-client',
      'pools-operators-client',
      'pools-operators-gatehouse-client',
    ]);
  });

  it('keeps the Gatehouse client off the hosted UI and its secret out of plain state', () => {
    const client = recorder.one('aws:cognito/userPoolClient:UserPoolClient', 'pools-basic-gatehouse-client');
    expect(client.inputs['allowedOauthFlows']).toBeUndefined();
    expect(client.inputs['explicitAuthFlows']).toEqual([
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_ADMIN_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_CUSTOM_AUTH',
    ]);
    // The operators never move between tiers: their Gatehouse client has no custom flow to start.
    const operators = recorder.one('aws:cognito/userPoolClient:UserPoolClient', 'pools-operators-gatehouse-client');
    expect(operators.inputs['explicitAuthFlows']).not.toContain('ALLOW_CUSTOM_AUTH');
    expect(sut.pools['basic']?.gatehouseClient).toBeDefined();
  });

  it('configures public clients safely: no secret, SRP, explicit units, no user enumeration, revocable', () => {
    const client = recorder.one('aws:cognito/userPoolClient:UserPoolClient', 'pools-basic-client');
    expect(client.inputs).toMatchObject({
      generateSecret: false,
      explicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
      accessTokenValidity: 60,
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
      allowedOauthFlows: ['code'],
    });
  });

  it('gives every pool a hosted UI domain', () => {
    expect(recorder.ofType('aws:cognito/userPoolDomain:UserPoolDomain').map((d) => d.inputs['domain']).sort()).toEqual([
      'gatehouse-test-basic',
      'gatehouse-test-closed',
      'gatehouse-test-operators',
      'gatehouse-test-standard',
    ]);
  });

  it('publishes GATEHOUSE_SHARED_POOLS with ids, both shared client ids and region', async () => {
    const shared = JSON.parse(await valueOf(sut.sharedPoolsJson)) as Record<string, Record<string, string>>;
    const [ids, publicIds, gatehouseIds] = await Promise.all([valueOf(sut.poolIds), valueOf(sut.clientIds), valueOf(sut.gatehouseClientIds)]);
    expect(Object.keys(shared)).toEqual(['basic', 'closed', 'operators', 'standard']);
    expect(shared['basic']).toEqual({ userPoolId: ids['basic'], clientId: publicIds['basic'], gatehouseClientId: gatehouseIds['basic'], region: MOCK_REGION });
    expect(publicIds['basic']).not.toBe(gatehouseIds['basic']);
    expect(shared['standard']).toEqual({ userPoolId: ids['standard'], region: MOCK_REGION });
  });

  it('derives each pool issuer from region and pool id', async () => {
    const [issuers, ids] = await Promise.all([valueOf(sut.issuers), valueOf(sut.poolIds)]);
    expect(issuers['operators']).toBe(`https://cognito-idp.${MOCK_REGION}.amazonaws.com/${ids['operators']}`);
  });

  it('rejects hosted UI domains Cognito would refuse', () => {
    expect(() =>
      mod.validateTierUserPoolsArgs({ tiers, deployment: 'gatehouse-test', domainPrefix: 'my-cognito-login' }),
    ).toThrow(/may not contain "aws", "amazon" or "cognito"/);
    expect(() =>
      mod.validateTierUserPoolsArgs({ tiers, deployment: 'gatehouse-test', domainPrefix: 'x'.repeat(60) }),
    ).toThrow(/longer than 63 characters/);
  });

  it("sends e-mail exactly as the API's CreateUserPool request does, from the same blueprint (row 4 contract)", () => {
    const email = { sourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/mail.example.com', fromAddress: 'no-reply@mail.example.com', configurationSet: 'set' };
    for (const blueprint of [
      ...sharedPoolBlueprints(tiers, { deployment: 'gatehouse-test', deletionProtection: true, email }),
      ...sharedPoolBlueprints(tiers, { deployment: 'gatehouse-test', deletionProtection: true }),
    ]) {
      const pulumiSide = mod.userPoolArgs(blueprint, { preSignUp: PRE_SIGN_UP_ARN, preTokenGeneration: PRE_TOKEN_ARN }).emailConfiguration as Record<string, string>;
      const sdkSide = toEmailConfiguration(blueprint) as Record<string, string>;
      expect({
        EmailSendingAccount: pulumiSide['emailSendingAccount'],
        ...(pulumiSide['sourceArn'] ? { SourceArn: pulumiSide['sourceArn'] } : {}),
        ...(pulumiSide['fromEmailAddress'] ? { From: pulumiSide['fromEmailAddress'] } : {}),
        ...(pulumiSide['replyToEmailAddress'] ? { ReplyToEmailAddress: pulumiSide['replyToEmailAddress'] } : {}),
        ...(pulumiSide['configurationSet'] ? { ConfigurationSet: pulumiSide['configurationSet'] } : {}),
      }).toEqual(sdkSide);
    }
    expect(pools().every((pool) => pool.inputs['emailConfiguration']['emailSendingAccount'] === 'COGNITO_DEFAULT')).toBe(true);
  });
});
