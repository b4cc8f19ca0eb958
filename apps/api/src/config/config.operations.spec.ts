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

describe('operations settings', () => {
  it('parses trusted proxy ranges, and trusts no proxy by default', () => {
    expect(loadConfig(base).env.TRUSTED_PROXY_CIDRS).toEqual([]);
    expect(loadConfig({ ...base, TRUSTED_PROXY_CIDRS: ' 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32' }).env.TRUSTED_PROXY_CIDRS).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '2001:db8::/32',
    ]);
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0/8', '::1/129', '10.0.0.0/8/1'])('refuses the proxy range %s', (range) => {
    expect(() => loadConfig({ ...base, TRUSTED_PROXY_CIDRS: range })).toThrow(ConfigError);
  });

  it('refuses TRUST_PROXY=true, which would let any client choose its own address', () => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'true' })).toThrow(/TRUSTED_PROXY_CIDRS/);
  });

  it('turns /docs off in production unless asked for, and on elsewhere', () => {
    expect(loadConfig(base).openApiDocs).toBe(false);
    expect(loadConfig({ ...base, OPENAPI_DOCS_ENABLED: 'true' }).openApiDocs).toBe(true);
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).openApiDocs).toBe(true);
    expect(loadConfig({ ...base, NODE_ENV: 'development', OPENAPI_DOCS_ENABLED: 'false' }).openApiDocs).toBe(false);
  });

  it('keeps metrics off the public port', () => {
    expect(() => loadConfig({ ...base, PORT: '3000', METRICS_PORT: '3000' })).toThrow(/METRICS_PORT/);
    expect(loadConfig({ ...base, METRICS_PORT: '9464' }).env.METRICS_PORT).toBe(9464);
    expect(loadConfig(base).env.METRICS_PORT).toBeUndefined();
  });

  it('accepts only redis URLs for the rate-limit store and http(s) for the OTLP endpoint', () => {
    expect(() => loadConfig({ ...base, REDIS_URL: 'http://cache:6379' })).toThrow(/REDIS_URL/);
    expect(loadConfig({ ...base, REDIS_URL: 'rediss://cache:6380' }).env.REDIS_URL).toBe('rediss://cache:6380');
    expect(() => loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
