import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError, ValidationFailedError } from '../common/domain-error.js';
import { OutboundUrlRefused } from '../auth/outbound-url.js';
import { discoverBrowserEndpoints, discoveryUrl } from './oidc-browser-sign-in.js';

const ISSUER = 'https://login.acme.test';
const aws = { allowPrivateAddresses: false };
const document = (overrides: Record<string, unknown> = {}) => ({
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
  ...overrides,
});

describe(discoverBrowserEndpoints.name, () => {
  it('fetches the issuer’s discovery document and returns its two endpoints', async () => {
    const fetched: string[] = [];
    const sut = await discoverBrowserEndpoints(ISSUER, async (uri) => (fetched.push(uri), document()), aws);
    expect(sut).toEqual({ authorizationEndpoint: `${ISSUER}/authorize`, tokenEndpoint: `${ISSUER}/token` });
    expect(fetched).toEqual([discoveryUrl(ISSUER)]);
    expect(discoveryUrl(`${ISSUER}/`)).toBe(`${ISSUER}/.well-known/openid-configuration`);
  });

  it.each([
    ['another issuer', document({ issuer: 'https://evil.test' })],
    ['no token endpoint', document({ token_endpoint: undefined })],
    ['an endpoint with credentials', document({ authorization_endpoint: 'https://user:pw@login.acme.test/authorize' })],
    ['an endpoint on a private address', document({ token_endpoint: 'https://10.0.0.5/token' })],
    ['plain http endpoints in AWS mode', document({ token_endpoint: 'http://login.acme.test/token' })],
    ['no code flow', document({ response_types_supported: ['id_token'] })],
    ['no PKCE S256', document({ code_challenge_methods_supported: ['plain'] })],
    ['not an object', 'text'],
  ])('refuses a document with %s (400)', async (_case, body) => {
    await expect(discoverBrowserEndpoints(ISSUER, async () => body, aws)).rejects.toBeInstanceOf(ValidationFailedError);
  });

  it('refuses a URL the outbound rules refuse (400) and answers 503 when the provider cannot be reached', async () => {
    await expect(
      discoverBrowserEndpoints(ISSUER, async () => {
        throw new OutboundUrlRefused('redirects are not followed');
      }, aws),
    ).rejects.toBeInstanceOf(ValidationFailedError);
    const down = await discoverBrowserEndpoints(ISSUER, async () => {
      throw new Error('connect ECONNREFUSED');
    }, aws).catch((error: unknown) => error);
    expect(down).toBeInstanceOf(ServiceUnavailableError);
    expect((down as ServiceUnavailableError).headers['retry-after']).toBe('30');
  });
});
