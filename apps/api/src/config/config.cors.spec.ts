import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.schema.js';

const base = {
  NODE_ENV: 'production',
  GATEHOUSE_MODE: 'aws',
  DATABASE_URL: 'postgres://gatehouse_app:s3cret@db:5432/gatehouse',
  DATABASE_PRIVILEGED_URL: 'postgres://gatehouse_privileged:s3cret@db:5432/gatehouse',
  GATEHOUSE_SHARED_POOLS: JSON.stringify({
    basic: { userPoolId: 'us-east-1_AAAAAAAA', clientId: 'basic-client', gatehouseClientId: 'basic-gatehouse' },
    standard: { userPoolId: 'us-east-1_BBBBBBBB' },
    operators: { userPoolId: 'us-east-1_CCCCCCCC', clientId: 'ops-client', gatehouseClientId: 'ops-gatehouse' },
  }),
  GATEHOUSE_COGNITO_TRIGGERS: JSON.stringify({
    preSignUp: 'arn:aws:lambda:us-east-1:123456789012:function:gatehouse-pre-sign-up',
    preTokenGeneration: 'arn:aws:lambda:us-east-1:123456789012:function:gatehouse-pre-token-generation',
  }),
  CHALLENGE_HANDLE_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  COGNITO_TOKEN_EXCHANGE_KEY: Buffer.alloc(32, 3).toString('base64'),
};

describe('CORS_ALLOWED_ORIGINS', () => {
  it('allows no extra origin by default', () => {
    expect(loadConfig(base).env.CORS_ALLOWED_ORIGINS).toEqual([]);
  });

  it('normalises a comma-separated list of origins to lower case without duplicates', () => {
    const sut = loadConfig({ ...base, CORS_ALLOWED_ORIGINS: ' https://App.Example.com , https://app.example.com,https://admin.example.com:8443/' });
    expect(sut.env.CORS_ALLOWED_ORIGINS).toEqual(['https://app.example.com', 'https://admin.example.com:8443']);
  });

  it.each(['*', 'null', 'app.example.com', 'https://app.example.com/path', 'https://user:pw@app.example.com', 'ftp://app.example.com', 'https://*.example.com'])(
    'refuses %s, which is not an origin',
    (entry) => {
      expect(() => loadConfig({ ...base, CORS_ALLOWED_ORIGINS: entry })).toThrow(ConfigError);
    },
  );

  it('refuses plain http origins in production and accepts them in development', () => {
    expect(() => loadConfig({ ...base, CORS_ALLOWED_ORIGINS: 'http://localhost:5173' })).toThrow(/plain http/);
    expect(loadConfig({ ...base, NODE_ENV: 'development', CORS_ALLOWED_ORIGINS: 'http://localhost:5173' }).env.CORS_ALLOWED_ORIGINS).toEqual([
      'http://localhost:5173',
    ]);
  });
});
