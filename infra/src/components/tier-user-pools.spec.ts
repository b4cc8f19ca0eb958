import { parseTierConfiguration, sharedPoolBlueprints } from '@gatehouse/tiers';
import { toEmailConfiguration } from '../../../apps/api/src/identity/cognito/user-pool-requests.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_REGION, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./tier-user-pools.js');

const tiers = parseTierConfiguration({
  tiers: [
    { name: 'basic', model: 'pool' },
    { name: 'standard', model: 'bridge', threatProtection: 'AUDIT' },
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
    });
    await valueOf(sut.sharedPoolsJson);
    await recorder.settled();
  });

  const pools = () => recorder.ofType('aws:cognito/userPool:UserPool');
  const clients = () => recorder.ofType('aws:cognito/userPoolClient:UserPoolClient');

  it('creates one pool per pool/bridge tier plus the operators pool, none for silo tiers', () => {
    expect(pools().map((pool) => pool.inputs['name']).sort()).toEqual([
      'gatehouse-test-basic',
      'gatehouse-test-operators',
      'gatehouse-test-standard',
    ]);
  });

  it('turns deletion protection on for every pool', () => {
    expect(pools().map((pool) => pool.inputs['deletionProtection'])).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
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

  it('never lets an app client write a custom attribute, while letting it read the tenant attributes', () => {
    expect(clients()).not.toHaveLength(0);
    for (const client of clients()) {
      const writable = client.inputs['writeAttributes'] as string[];
      expect(writable).toContain('email');
      expect(writable.filter((attribute) => attribute.startsWith('custom:'))).toEqual([]);
      expect(client.inputs['readAttributes']).toEqual(expect.arrayContaining(['custom:tenantId', 'custom:tenantTier']));
    }
  });

  it('uses opaque usernames: no e-mail username or alias, e-mail auto-verified', () => {
    for (const pool of pools()) {
      expect(pool.inputs['usernameAttributes']).toBeUndefined();
      expect(pool.inputs['aliasAttributes']).toBeUndefined();
      expect(pool.inputs['autoVerifiedAttributes']).toEqual(['email']);
    }
  });

  it('disables self sign-up, so no user exists in a shared pool without a tenant', () => {
    for (const pool of pools()) {
      expect(pool.inputs['adminCreateUserConfig']).toMatchObject({ allowAdminCreateUserOnly: true });
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

  it('creates a shared client for the pool tier and the operators pool, none for the bridge tier', () => {
    expect(clients().map((client) => client.name).sort()).toEqual(['pools-basic-client', 'pools-operators-client']);
  });

  it('configures shared clients safely: no secret, known flows, explicit units, no user enumeration, revocable', () => {
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
      'gatehouse-test-operators',
      'gatehouse-test-standard',
    ]);
  });

  it('publishes GATEHOUSE_SHARED_POOLS with ids, shared client ids and region', async () => {
    const shared = JSON.parse(await valueOf(sut.sharedPoolsJson)) as Record<string, Record<string, string>>;
    const ids = await valueOf(sut.poolIds);
    expect(Object.keys(shared)).toEqual(['basic', 'operators', 'standard']);
    expect(shared['basic']).toEqual({ userPoolId: ids['basic'], clientId: expect.any(String), region: MOCK_REGION });
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
      const pulumiSide = mod.userPoolArgs(blueprint).emailConfiguration as Record<string, string>;
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
