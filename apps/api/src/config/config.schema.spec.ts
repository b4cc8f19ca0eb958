import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_KEYS, ConfigError, allowedSiloRegions, cognitoIssuer, loadConfig } from './config.schema.js';

const pools = JSON.stringify({
  basic: { userPoolId: 'us-east-1_AAAAAAAA', clientId: 'basic-client', gatehouseClientId: 'basic-gatehouse' },
  standard: { userPoolId: 'us-east-1_BBBBBBBB' },
  operators: { userPoolId: 'us-east-1_CCCCCCCC', clientId: 'ops-client', gatehouseClientId: 'ops-gatehouse' },
});

const validAws = {
  NODE_ENV: 'production',
  GATEHOUSE_MODE: 'aws',
  DATABASE_URL: 'postgres://gatehouse_app:s3cret@db:5432/gatehouse',
  DATABASE_PRIVILEGED_URL: 'postgres://gatehouse_privileged:s3cret@db:5432/gatehouse',
  AWS_REGION: 'eu-west-1',
  GATEHOUSE_SHARED_POOLS: pools,
  CHALLENGE_HANDLE_KEYS: `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`,
  COGNITO_TOKEN_EXCHANGE_KEY: Buffer.alloc(32, 3).toString('base64'),
  GATEHOUSE_COGNITO_TRIGGERS: JSON.stringify({
    preSignUp: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-pre-sign-up',
    preTokenGeneration: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-pre-token-generation',
  }),
};

describe(loadConfig.name, () => {
  it('builds a typed configuration with AWS issuers', () => {
    const sut = loadConfig(validAws);
    expect(sut.isLocal).toBe(false);
    expect(sut.env.PORT).toBe(3000);
    expect(sut.env.TOKEN_CLOCK_SKEW_SECONDS).toBe(30);
    expect(sut.cognitoTriggers?.preSignUp).toBe('arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-pre-sign-up');
    expect(sut.sharedPools.get('basic')).toMatchObject({
      clientId: 'basic-client',
      gatehouseClientId: 'basic-gatehouse',
      region: 'eu-west-1',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AAAAAAAA',
    });
  });

  it('requires the Cognito triggers in AWS mode, so silo pools never accept sign-ups that bypass Gatehouse', () => {
    const { GATEHOUSE_COGNITO_TRIGGERS: _omitted, ...withoutTriggers } = validAws;
    expect(() => loadConfig(withoutTriggers)).toThrow(/GATEHOUSE_COGNITO_TRIGGERS is required when GATEHOUSE_MODE=aws/);
    expect(() => loadConfig({ ...validAws, GATEHOUSE_COGNITO_TRIGGERS: JSON.stringify({ preSignUp: 'x', preTokenGeneration: 'y' }) })).toThrow(
      /GATEHOUSE_COGNITO_TRIGGERS: preSignUp: is not a lambda ARN/,
    );
  });

  it('requires the Gatehouse client of every pool-model tier', () => {
    const withoutGatehouseClient = JSON.stringify({ ...JSON.parse(pools), basic: { userPoolId: 'us-east-1_AAAAAAAA', clientId: 'basic-client' } });
    expect(() => loadConfig({ ...validAws, GATEHOUSE_SHARED_POOLS: withoutGatehouseClient })).toThrow(/"basic" needs its shared gatehouseClientId/);
  });

  it('lists every problem at once', () => {
    const attempt = () => loadConfig({ PORT: '99999', GATEHOUSE_SHARED_POOLS: 'nope' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DATABASE_URL: is required/);
    expect(attempt).toThrow(/DATABASE_PRIVILEGED_URL: is required/);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/GATEHOUSE_SHARED_POOLS: is not valid JSON/);
  });

  it('refuses local mode in production and demands an emulator endpoint in local mode', () => {
    expect(() => loadConfig({ ...validAws, GATEHOUSE_MODE: 'local', COGNITO_ENDPOINT: 'http://127.0.0.1:9229' })).toThrow(
      /refused when NODE_ENV=production/,
    );
    expect(() => loadConfig({ ...validAws, NODE_ENV: 'development', GATEHOUSE_MODE: 'local' })).toThrow(
      /COGNITO_ENDPOINT is required/,
    );
    expect(() => loadConfig({ ...validAws, COGNITO_ENDPOINT: 'http://127.0.0.1:9229' })).toThrow(/leave it unset/);
  });

  it('refuses placeholder database passwords in production', () => {
    expect(() =>
      loadConfig({ ...validAws, DATABASE_URL: 'postgres://gatehouse_app:gatehouse-app-local@db/gatehouse' }),
    ).toThrow(/placeholder or local password/);
  });

  it('requires a pool for every pooled or bridged tier and the shared client for pool-model tiers', () => {
    const missing = JSON.stringify({ basic: { userPoolId: 'us-east-1_AAAAAAAA' } });
    const attempt = () => loadConfig({ ...validAws, GATEHOUSE_SHARED_POOLS: missing });
    expect(attempt).toThrow(/no pool for "standard"/);
    expect(attempt).toThrow(/no pool for "operators"/);
    expect(attempt).toThrow(/"basic" needs its shared clientId/);
  });

  it('rejects pools for unknown tiers and malformed pool ids', () => {
    const extra = JSON.stringify({ ...JSON.parse(pools), gold: { userPoolId: 'us-east-1_DDDDDDDD' } });
    expect(() => loadConfig({ ...validAws, GATEHOUSE_SHARED_POOLS: extra })).toThrow(/"gold" is not a pooled or bridged tier/);
    const malformed = JSON.stringify({ ...JSON.parse(pools), basic: { userPoolId: 'not a pool', clientId: 'x' } });
    expect(() => loadConfig({ ...validAws, GATEHOUSE_SHARED_POOLS: malformed })).toThrow(/basic.userPoolId: is not a Cognito user pool id/);
  });

  it('validates an inline tier configuration', () => {
    expect(() =>
      loadConfig({ ...validAws, GATEHOUSE_TIERS: JSON.stringify({ tiers: [{ name: 'gold', model: 'shared' }] }) }),
    ).toThrow(/GATEHOUSE_TIERS: .*unknown isolation model "shared"/s);
  });

  it('takes DNS resolvers as a list of addresses with optional ports (default: the system’s)', () => {
    expect(loadConfig(validAws).env.DNS_RESOLVERS).toBeUndefined();
    expect(loadConfig({ ...validAws, DNS_RESOLVERS: '10.0.0.2, 127.0.0.1:5353,[::1]:53,fd00::2' }).env.DNS_RESOLVERS).toEqual([
      '10.0.0.2',
      '127.0.0.1:5353',
      '[::1]:53',
      'fd00::2',
    ]);
    for (const bad of ['dns.example.com', '127.0.0.1:0', '127.0.0.1:99999', '', '1.2.3.4:53:53']) {
      expect(() => loadConfig({ ...validAws, DNS_RESOLVERS: bad }), bad).toThrow(/DNS_RESOLVERS/);
    }
  });

  it('exposes the list of keys the manifests are checked against', () => {
    expect(CONFIG_ENV_KEYS).toEqual(expect.arrayContaining(['DATABASE_URL', 'GATEHOUSE_SHARED_POOLS', 'GATEHOUSE_MODE']));
  });
});

describe(cognitoIssuer.name, () => {
  it('uses the emulator endpoint only in local mode', () => {
    expect(cognitoIssuer({ GATEHOUSE_MODE: 'local', COGNITO_ENDPOINT: 'http://127.0.0.1:9229/' }, 'us-east-1', 'local_X')).toBe(
      'http://127.0.0.1:9229/local_X',
    );
    expect(cognitoIssuer({ GATEHOUSE_MODE: 'aws', COGNITO_ENDPOINT: undefined }, 'eu-west-1', 'eu-west-1_X')).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X',
    );
  });
});

describe('SILO_REGIONS (issue 14 row 7)', () => {
  it('defaults to the deployment region', () => {
    expect(allowedSiloRegions(loadConfig(validAws).env)).toEqual(['eu-west-1']);
  });

  const triggersIn = (region: string) => ({
    preSignUp: `arn:aws:lambda:${region}:123456789012:function:gatehouse-pre-sign-up`,
    preTokenGeneration: `arn:aws:lambda:${region}:123456789012:function:gatehouse-pre-token-generation`,
  });
  const bothRegions = JSON.stringify({ 'eu-west-1': triggersIn('eu-west-1'), 'us-east-1': triggersIn('us-east-1') });

  it('reads a comma-separated list of regions, without duplicates', () => {
    const sut = loadConfig({ ...validAws, SILO_REGIONS: 'eu-west-1, us-east-1,eu-west-1', GATEHOUSE_COGNITO_TRIGGERS: bothRegions });
    expect(allowedSiloRegions(sut.env)).toEqual(['eu-west-1', 'us-east-1']);
    expect(sut.cognitoTriggersByRegion.get('us-east-1')).toEqual(triggersIn('us-east-1'));
    expect(sut.cognitoTriggers).toEqual(triggersIn('eu-west-1'));
  });

  it("refuses to start when a silo region has no trigger functions of its own (Cognito calls them in the pool's region)", () => {
    expect(() => loadConfig({ ...validAws, SILO_REGIONS: 'eu-west-1,us-east-1' })).toThrow(/no trigger functions in us-east-1/);
    const misplaced = JSON.stringify({ 'eu-west-1': triggersIn('eu-west-1'), 'us-east-1': triggersIn('eu-west-1') });
    expect(() => loadConfig({ ...validAws, SILO_REGIONS: 'eu-west-1,us-east-1', GATEHOUSE_COGNITO_TRIGGERS: misplaced })).toThrow(/for us-east-1 must be in us-east-1/);
  });

  it('refuses anything that is not a region list', () => {
    expect(() => loadConfig({ ...validAws, SILO_REGIONS: 'eu-west-1,mars' })).toThrow(/SILO_REGIONS: must list AWS regions.*mars/);
    expect(() => loadConfig({ ...validAws, SILO_REGIONS: ' , ' })).toThrow(/SILO_REGIONS/);
  });
});

describe('CHALLENGE_HANDLE_KEYS', () => {
  it('requires challenge-handle keys in AWS mode, generates one per process in local mode, and keeps rotated keys in order', () => {
    const { CHALLENGE_HANDLE_KEYS: _omitted, ...withoutKeys } = validAws;
    expect(() => loadConfig(withoutKeys)).toThrow(/CHALLENGE_HANDLE_KEYS is required when GATEHOUSE_MODE=aws/);
    expect(() => loadConfig({ ...validAws, CHALLENGE_HANDLE_KEYS: 'k1:c2hvcnQ=' })).toThrow(/exactly 32 bytes/);
    expect(() => loadConfig({ ...validAws, CHALLENGE_HANDLE_KEYS: `k1:${Buffer.alloc(32).toString('base64')},k1:${Buffer.alloc(32).toString('base64')}` })).toThrow(/appears twice/);
    expect(loadConfig(validAws).challengeHandleKeys.map((key) => key.id)).toEqual(['k2', 'k1']);
    const local = loadConfig({ ...withoutKeys, NODE_ENV: 'development', GATEHOUSE_MODE: 'local', COGNITO_ENDPOINT: 'http://127.0.0.1:9229' });
    expect(local.challengeHandleKeys).toHaveLength(1);
    expect(local.challengeHandleKeys[0]!.key).toHaveLength(32);
  });
});

describe('COGNITO_TOKEN_EXCHANGE_KEY and the token-exchange triggers', () => {
  const exchange = {
    defineAuthChallenge: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-define-auth-challenge',
    createAuthChallenge: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-create-auth-challenge',
    verifyAuthChallengeResponse: 'arn:aws:lambda:eu-west-1:123456789012:function:gatehouse-verify-auth-challenge-response',
  };
  const base = JSON.parse(validAws.GATEHOUSE_COGNITO_TRIGGERS) as Record<string, string>;

  it('requires the exchange key in AWS mode, exactly 32 bytes, and generates one per process in local mode', () => {
    expect(loadConfig(validAws).tokenExchangeKey).toEqual(Buffer.alloc(32, 3));
    const { COGNITO_TOKEN_EXCHANGE_KEY: _omitted, ...withoutKey } = validAws;
    expect(() => loadConfig(withoutKey)).toThrow(/COGNITO_TOKEN_EXCHANGE_KEY is required when GATEHOUSE_MODE=aws/);
    expect(() => loadConfig({ ...validAws, COGNITO_TOKEN_EXCHANGE_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/exactly 32 bytes/);
    const local = loadConfig({ ...withoutKey, NODE_ENV: 'development', GATEHOUSE_MODE: 'local', COGNITO_ENDPOINT: 'http://127.0.0.1:9229' });
    expect(local.tokenExchangeKey).toHaveLength(32);
  });

  it('reads the three auth-challenge triggers, in the region of the pools, and only as a set', () => {
    const sut = loadConfig({ ...validAws, GATEHOUSE_COGNITO_TRIGGERS: JSON.stringify({ ...base, ...exchange }) });
    expect(sut.cognitoTriggers).toMatchObject(exchange);
    expect(() =>
      loadConfig({ ...validAws, GATEHOUSE_COGNITO_TRIGGERS: JSON.stringify({ ...base, defineAuthChallenge: exchange.defineAuthChallenge }) }),
    ).toThrow(/all three or none/);
    const elsewhere = { ...exchange, verifyAuthChallengeResponse: exchange.verifyAuthChallengeResponse.replace('eu-west-1', 'us-east-1') };
    expect(() => loadConfig({ ...validAws, GATEHOUSE_COGNITO_TRIGGERS: JSON.stringify({ ...base, ...elsewhere }) })).toThrow(/must be in eu-west-1/);
  });
});
