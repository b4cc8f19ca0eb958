import { GATEHOUSE_CLIENT_NAME_SUFFIX, deriveSignInUsername, tenantClientNamePrefix } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import { type AppClientFacts, type PreSignUpEvent, REFUSAL_MESSAGE, SignUpRefusedError, decidePreSignUp, derivedSignInUsername } from './pre-sign-up.js';

const POOL = 'eu-west-1_pool';
const clients: Record<string, AppClientFacts> = {
  'gatehouse-client': { name: `gh-basic${GATEHOUSE_CLIENT_NAME_SUFFIX}`, writeAttributes: ['email', 'custom:tenantId', 'custom:tenantTier'] },
  'public-client': { name: 'gh-basic-shared', writeAttributes: ['email'] },
  // Named like a Gatehouse client but unable to write the tenant: not one.
  'lookalike-client': { name: `evil${GATEHOUSE_CLIENT_NAME_SUFFIX}`, writeAttributes: ['email'] },
  // A tenant's own public client (bridge / silo) with a SAML provider attached.
  'tenant-public-client': { name: `${tenantClientNamePrefix('gh')}acme`, writeAttributes: ['email'], identityProviders: ['COGNITO', 'AcmeSAML'] },
  'tenant-gatehouse-client': {
    name: `${tenantClientNamePrefix('gh')}acme${GATEHOUSE_CLIENT_NAME_SUFFIX}`,
    writeAttributes: ['email', 'custom:tenantId'],
    identityProviders: ['COGNITO', 'AcmeSAML'],
  },
  // The pool model's shared client, even if someone attached a provider to it.
  'shared-with-idp': { name: 'gh-basic-shared', writeAttributes: ['email'], identityProviders: ['COGNITO', 'Google'] },
};
const looked: string[] = [];
const describeClient = async (userPoolId: string, clientId: string) => {
  looked.push(`${userPoolId}/${clientId}`);
  return userPoolId === POOL ? clients[clientId] : undefined;
};
const settings = { gatehouseClientSuffix: GATEHOUSE_CLIENT_NAME_SUFFIX, tenantClientPrefix: tenantClientNamePrefix('gh') };

function event(overrides: Partial<PreSignUpEvent> = {}, attributes: Record<string, string> = { email: 'a@b.example', 'custom:tenantId': 't-1', 'custom:tenantTier': 'basic' }): PreSignUpEvent {
  return {
    triggerSource: 'PreSignUp_SignUp',
    userPoolId: POOL,
    userName: deriveSignInUsername(attributes['custom:tenantId'] ?? '', attributes['email'] ?? ''),
    callerContext: { clientId: 'gatehouse-client' },
    request: { userAttributes: attributes },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
    ...overrides,
  };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe(decidePreSignUp.name, () => {
  it('lets a sign-up through the pool’s Gatehouse client with the tenant attributes pass, unchanged (never auto-confirmed)', async () => {
    const input = event();
    const result = await decidePreSignUp(input, describeClient, settings);
    expect(result).toBe(input);
    expect(result.response).toEqual({ autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false });
  });

  it('lets AdminCreateUser (the API’s IAM role: invitations, provisioning) pass', async () => {
    await expect(decidePreSignUp(event({ triggerSource: 'PreSignUp_AdminCreateUser', callerContext: {} }), describeClient, settings)).resolves.toBeDefined();
  });

  it.each([
    ['a public client', { callerContext: { clientId: 'public-client' } }],
    ['a client named like Gatehouse’s that cannot write the tenant', { callerContext: { clientId: 'lookalike-client' } }],
    ['an unknown client', { callerContext: { clientId: 'nobody' } }],
    ['no client', { callerContext: {} }],
    ['another pool’s Gatehouse client', { userPoolId: 'eu-west-1_other' }],
  ])('refuses a sign-up through %s', async (_case, overrides) => {
    const error = await refusal(decidePreSignUp(event(overrides as Partial<PreSignUpEvent>), describeClient, settings));
    expect(error).toBeInstanceOf(SignUpRefusedError);
    expect((error as Error).message).toBe(REFUSAL_MESSAGE);
  });

  it.each([
    ['without custom:tenantId', { email: 'a@b.example', 'custom:tenantTier': 'basic' }],
    ['with an empty custom:tenantId', { email: 'a@b.example', 'custom:tenantId': ' ', 'custom:tenantTier': 'basic' }],
    ['without custom:tenantTier', { email: 'a@b.example', 'custom:tenantId': 't-1' }],
  ])('refuses a sign-up %s, even through the Gatehouse client', async (_case, attributes) => {
    await expect(decidePreSignUp(event({}, attributes), describeClient, settings)).rejects.toBeInstanceOf(SignUpRefusedError);
  });

  it('refuses unknown trigger sources', async () => {
    await expect(decidePreSignUp(event({ triggerSource: 'PreSignUp_Something' }), describeClient, settings)).rejects.toBeInstanceOf(SignUpRefusedError);
  });

  it('refuses a sign-up whose username is not the one derived from its tenant and e-mail (another tenant’s, a random one)', async () => {
    const attributes = { email: 'a@b.example', 'custom:tenantId': 't-1', 'custom:tenantTier': 'basic' };
    for (const userName of [deriveSignInUsername('t-2', 'a@b.example'), deriveSignInUsername('t-1', 'other@b.example'), 'opaque']) {
      await expect(decidePreSignUp(event({ userName }, attributes), describeClient, settings)).rejects.toBeInstanceOf(SignUpRefusedError);
    }
  });

  it('derives usernames exactly like libs/tiers (the copy stays equal)', () => {
    for (const [tenant, email] of [['7B0E3C1E-0000-4000-8000-000000000001', ' Ann@Example.COM '], ['t-1', 'a@b.example']] as const) {
      expect(derivedSignInUsername(tenant, email)).toBe(deriveSignInUsername(tenant, email));
    }
  });

  describe('a federated first sign-in (PreSignUp_ExternalProvider)', () => {
    const federated = (overrides: Partial<PreSignUpEvent> = {}, attributes: Record<string, string> = { email: 'ann@acme.example' }) =>
      event({ triggerSource: 'PreSignUp_ExternalProvider', userName: 'AcmeSAML_ann', callerContext: { clientId: 'tenant-public-client' }, ...overrides }, attributes);

    it('passes through a tenant’s own public client that lists the provider', async () => {
      const input = federated();
      await expect(decidePreSignUp(input, describeClient, settings)).resolves.toBe(input);
    });

    it.each([
      ['the pool model’s shared client, even with the provider listed', { userName: 'Google_123', callerContext: { clientId: 'shared-with-idp' } }],
      ['a tenant client that does not list the provider', { userName: 'Google_123' }],
      ['a tenant’s Gatehouse client', { callerContext: { clientId: 'tenant-gatehouse-client' } }],
      ['an unknown client', { callerContext: { clientId: 'nobody' } }],
      ['no client', { callerContext: {} }],
      ['a user name naming no provider', { userName: 'ann' }],
      ['the COGNITO pseudo-provider', { userName: 'COGNITO_ann' }],
    ])('refuses it through %s', async (_case, overrides) => {
      await expect(decidePreSignUp(federated(overrides as Partial<PreSignUpEvent>), describeClient, settings)).rejects.toBeInstanceOf(SignUpRefusedError);
    });

    it.each([['custom:tenantId'], ['custom:tenantTier'], ['custom:role'], ['CUSTOM:TENANTID']])('refuses it when the provider brings %s', async (name) => {
      await expect(decidePreSignUp(federated({}, { email: 'ann@acme.example', [name]: 'other' }), describeClient, settings)).rejects.toBeInstanceOf(
        SignUpRefusedError,
      );
    });

    it('fails closed without the tenant client prefix', async () => {
      await expect(decidePreSignUp(federated(), describeClient, { gatehouseClientSuffix: GATEHOUSE_CLIENT_NAME_SUFFIX })).rejects.toBeInstanceOf(
        SignUpRefusedError,
      );
    });
  });

  it('fails closed without its configuration', async () => {
    await expect(decidePreSignUp(event(), describeClient, { gatehouseClientSuffix: '' })).rejects.toBeInstanceOf(SignUpRefusedError);
  });

  it('asks about the calling client in the event’s own pool', async () => {
    looked.length = 0;
    await decidePreSignUp(event(), describeClient, settings);
    expect(looked).toEqual([`${POOL}/gatehouse-client`]);
  });
});
