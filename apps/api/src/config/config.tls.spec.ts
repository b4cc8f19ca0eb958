import { join } from 'node:path';
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
const fixture = (name: string) => join(process.cwd(), 'test', 'support', 'tls', name);

describe('TLS_CERT_FILE / TLS_KEY_FILE (issue 14 row 2)', () => {
  it('serve plain HTTP when unset, and load a matching pair at boot', () => {
    expect(loadConfig(base).tls).toBeUndefined();
    const sut = loadConfig({ ...base, TLS_CERT_FILE: fixture('a.crt'), TLS_KEY_FILE: fixture('a.key') }).tls;
    expect(sut).toMatchObject({ certFile: fixture('a.crt'), keyFile: fixture('a.key'), cert: expect.stringContaining('BEGIN CERTIFICATE') });
  });

  it('refuse to start with one of the two, a missing file, or a key of another certificate', () => {
    expect(() => loadConfig({ ...base, TLS_CERT_FILE: fixture('a.crt') })).toThrow(/go together/);
    expect(() => loadConfig({ ...base, TLS_CERT_FILE: fixture('missing.crt'), TLS_KEY_FILE: fixture('a.key') })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, TLS_CERT_FILE: fixture('a.crt'), TLS_KEY_FILE: fixture('b.key') })).toThrow(/is not the key of/);
  });
});
