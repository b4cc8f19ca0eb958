import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_KEYS } from '../../apps/api/src/config/config.schema.js';
import {
  API_CONFIGMAP_KEYS,
  API_SECRET_KEYS,
  MIGRATION_SECRET_KEYS,
  cognitoIssuer,
  sharedPoolsEnvValue,
} from './api-environment.js';

describe('API environment keys', () => {
  it('puts only keys the API configuration accepts in the ConfigMap and Secret', () => {
    const known = new Set<string>(CONFIG_ENV_KEYS);
    expect([...API_CONFIGMAP_KEYS, ...API_SECRET_KEYS].filter((key) => !known.has(key))).toEqual([]);
  });

  it('gives the API every setting it requires in AWS', () => {
    const provided = new Set<string>([...API_CONFIGMAP_KEYS, ...API_SECRET_KEYS]);
    for (const key of ['DATABASE_URL', 'DATABASE_PRIVILEGED_URL', 'GATEHOUSE_SHARED_POOLS', 'AWS_REGION', 'GATEHOUSE_MODE']) {
      expect(provided.has(key), key).toBe(true);
    }
    expect(provided.has('COGNITO_ENDPOINT')).toBe(false);
  });

  it('keeps database URLs out of the ConfigMap and the admin URL out of the API Secret', () => {
    expect(API_CONFIGMAP_KEYS.filter((key) => key.includes('DATABASE'))).toEqual([]);
    expect(API_SECRET_KEYS).not.toContain('DATABASE_ADMIN_URL');
    expect(MIGRATION_SECRET_KEYS).toContain('DATABASE_ADMIN_URL');
  });
});

describe(sharedPoolsEnvValue.name, () => {
  it('serialises pools in the shape the API reads, omitting absent client ids', () => {
    const sut = sharedPoolsEnvValue({
      standard: { userPoolId: 'eu-west-1_std', region: 'eu-west-1' },
      basic: { userPoolId: 'eu-west-1_bas', clientId: 'abc', region: 'eu-west-1' },
    });
    expect(sut).toBe(
      '{"basic":{"userPoolId":"eu-west-1_bas","clientId":"abc","region":"eu-west-1"},"standard":{"userPoolId":"eu-west-1_std","region":"eu-west-1"}}',
    );
  });

  it('derives the Cognito issuer', () => {
    expect(cognitoIssuer('eu-west-1', 'eu-west-1_abc')).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc');
  });
});
