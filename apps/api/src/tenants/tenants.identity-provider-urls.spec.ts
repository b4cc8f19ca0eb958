/**
 * Registering a tenant's own IdP in AWS mode: URLs that reach this
 * deployment's own network, or carry credentials, are refused with 400 before
 * anything is stored or audited; host names are judged by what they resolve to.
 */
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config.schema.js';
import { TenantsService } from './tenants.service.js';

const TENANT_ID = '00000000-0000-4000-8000-000000000001';

function service(mode: 'aws' | 'local', resolved: readonly string[] = ['93.184.216.34']) {
  const config = { isLocal: mode === 'local', env: { COGNITO_ENDPOINT: undefined, AWS_REGION: 'us-east-1' } } as unknown as AppConfig;
  const stored: unknown[] = [];
  // Nothing below the URL checks may run for a refused provider: the "database" records any attempt.
  const privileged = {
    client: {
      $transaction: async () => {
        stored.push('transaction');
      },
    },
  };
  const sut = new TenantsService(config, privileged as never, {} as never, { refreshTenant: async () => undefined } as never, {} as never, {} as never, {} as never, {} as never, {} as never);
  sut.resolveHost = async () => resolved;
  return { sut, stored };
}

const register = (sut: TenantsService, issuer: string, jwksUri: string) =>
  sut.registerIdentityProvider(TENANT_ID, { issuer, audience: 'gatehouse', jwksUri, claimMapping: {} });

describe('TenantsService.registerIdentityProvider URL rules', () => {
  it.each([
    ['https://idp.example.com', 'https://169.254.169.254/latest/meta-data/'],
    ['https://idp.example.com', 'https://[::ffff:169.254.169.254]/jwks'],
    ['https://idp.example.com', 'https://2852039166/jwks'], // 169.254.169.254 in decimal
    ['https://idp.example.com', 'https://0xa9.0xfe.0xa9.0xfe/jwks'],
    ['https://idp.example.com', 'https://[fd00:ec2::254]/jwks'],
    ['https://127.0.0.1', 'https://idp.example.com/jwks'],
    ['https://idp.example.com', 'https://localhost/jwks'],
    ['https://idp.example.com', 'http://idp.example.com/jwks'],
  ])('refuses issuer %s / jwksUri %s in AWS mode', async (issuer, jwksUri) => {
    const { sut, stored } = service('aws');
    await expect(register(sut, issuer, jwksUri)).rejects.toMatchObject({ status: 400, code: 'validation_failed' });
    expect(stored).toEqual([]);
  });

  it('refuses a host name that resolves to a private address in AWS mode', async () => {
    const { sut, stored } = service('aws', ['10.0.0.7']);
    await expect(register(sut, 'https://idp.example.com', 'https://keys.example.com/jwks')).rejects.toMatchObject({ status: 400 });
    expect(stored).toEqual([]);
  });

  it('refuses credentials in every mode and never repeats them', async () => {
    for (const mode of ['aws', 'local'] as const) {
      const { sut, stored } = service(mode);
      const refusal = await register(sut, 'https://idp.example.com', 'https://admin:hunter2@idp.example.com/jwks').catch((error: unknown) => error);
      expect(refusal).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(JSON.stringify(refusal)).not.toContain('hunter2');
      expect(String((refusal as Error).message)).not.toContain('hunter2');
      expect(stored).toEqual([]);
    }
  });

  it('accepts a public https provider in AWS mode and loopback http in local mode', async () => {
    const aws = service('aws');
    await register(aws.sut, 'https://idp.example.com', 'https://idp.example.com/jwks').catch(() => undefined);
    expect(aws.stored).toEqual(['transaction']);
    const local = service('local');
    await register(local.sut, 'http://127.0.0.1:4000', 'http://127.0.0.1:4000/jwks').catch(() => undefined);
    expect(local.stored).toEqual(['transaction']);
  });
});
