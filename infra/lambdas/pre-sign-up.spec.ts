import { GATEHOUSE_CLIENT_NAME_SUFFIX } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import { type AppClientFacts, type PreSignUpEvent, REFUSAL_MESSAGE, SignUpRefusedError, decidePreSignUp } from './pre-sign-up.js';

const POOL = 'eu-west-1_pool';
const clients: Record<string, AppClientFacts> = {
  'gatehouse-client': { name: `gh-basic${GATEHOUSE_CLIENT_NAME_SUFFIX}`, writeAttributes: ['email', 'custom:tenantId', 'custom:tenantTier'] },
  'public-client': { name: 'gh-basic-shared', writeAttributes: ['email'] },
  // Named like a Gatehouse client but unable to write the tenant: not one.
  'lookalike-client': { name: `evil${GATEHOUSE_CLIENT_NAME_SUFFIX}`, writeAttributes: ['email'] },
};
const looked: string[] = [];
const describeClient = async (userPoolId: string, clientId: string) => {
  looked.push(`${userPoolId}/${clientId}`);
  return userPoolId === POOL ? clients[clientId] : undefined;
};
const settings = { gatehouseClientSuffix: GATEHOUSE_CLIENT_NAME_SUFFIX };

function event(overrides: Partial<PreSignUpEvent> = {}, attributes: Record<string, string> = { email: 'a@b.example', 'custom:tenantId': 't-1', 'custom:tenantTier': 'basic' }): PreSignUpEvent {
  return {
    triggerSource: 'PreSignUp_SignUp',
    userPoolId: POOL,
    userName: 'opaque',
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

  it('refuses federated first sign-ins and unknown trigger sources (Gatehouse creates those users itself)', async () => {
    for (const triggerSource of ['PreSignUp_ExternalProvider', 'PreSignUp_Something']) {
      await expect(decidePreSignUp(event({ triggerSource }), describeClient, settings)).rejects.toBeInstanceOf(SignUpRefusedError);
    }
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
