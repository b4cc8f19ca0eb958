/**
 * Front-channel sign-in at a tenant's own OpenID Connect provider, the API side: an operator sets
 * the browser client id, the API reads the provider's real discovery document (oidc-provider),
 * tenant lookup offers it under `sso`, and refusals. The browser journey through the provider's
 * login is in test/browser/spa-journeys.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uniqueSlug } from '../support/factories.js';
import { type TestOidcProvider, startOidcProvider } from '../support/oidc-provider.js';
import { type Harness, expectProblem, startHarness } from './tenants-harness.js';

let h: Harness;
let idp: TestOidcProvider;
const SPA_CLIENT = 'spa-browser';

beforeAll(async () => {
  h = await startHarness();
  idp = await startOidcProvider({
    clients: [{ client_id: SPA_CLIENT, redirect_uris: ['http://127.0.0.1:5999/callback'] }],
    accounts: { ann: { email: 'ann@idp.test' } },
    accessTokenAudience: 'urn:gatehouse:test',
  });
});

afterAll(async () => {
  await idp?.stop();
  await h?.close();
});

async function tenantWithProvider(issuer: string, jwksUri: string): Promise<{ id: string; slug: string; providerId: string }> {
  const slug = uniqueSlug('sso');
  const tenant = await h.privileged.tenant.create({
    data: { slug, name: slug, tier: 'basic', isolationModel: 'pool', status: 'active', region: 'us-east-1' },
  });
  const registered = await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers`, {
    method: 'POST',
    body: { issuer, audience: 'urn:gatehouse:test', jwksUri },
  });
  expect(registered.status, registered.text).toBe(201);
  return { id: tenant.id, slug, providerId: registered.body.identityProviders[0].id };
}

describe('browser sign-in at a tenant’s OpenID Connect provider', () => {
  it('reads the endpoints from discovery, offers them in lookup, and withdraws them', async () => {
    const tenant = await tenantWithProvider(idp.issuer, idp.jwksUri);
    const path = `/v1/admin/tenants/${tenant.id}/identity-providers/${tenant.providerId}/browser-sign-in`;
    expect((await h.call(`/v1/tenants/lookup?slug=${tenant.slug}`)).body.sso).toEqual([]);

    const enabled = await h.admin(path, { method: 'PUT', body: { clientId: SPA_CLIENT } });
    expect(enabled.status, enabled.text).toBe(200);
    expect(enabled.body).toMatchObject({ clientId: SPA_CLIENT, scopes: ['openid', 'email', 'profile'], authorizationEndpoint: `${idp.issuer}/auth` });

    const lookup = await h.call(`/v1/tenants/lookup?slug=${tenant.slug}`);
    expect(lookup.body.sso).toEqual([
      {
        kind: 'oidc',
        issuer: idp.issuer,
        clientId: SPA_CLIENT,
        authorizationEndpoint: `${idp.issuer}/auth`,
        tokenEndpoint: `${idp.issuer}/token`,
        scopes: ['openid', 'email', 'profile'],
      },
    ]);
    expect((await h.admin(path)).body.clientId).toBe(SPA_CLIENT);
    const audit = await h.privileged.auditEvent.findFirst({ where: { tenantId: tenant.id, action: 'tenant.identity_provider.browser_sign_in.enable' } });
    expect(audit).not.toBeNull();

    expect((await h.admin(path, { method: 'DELETE' })).status).toBe(204);
    expect((await h.call(`/v1/tenants/lookup?slug=${tenant.slug}`)).body.sso).toEqual([]);
  });

  it('refuses without a token, bad input, an unknown provider and another tenant’s provider', async () => {
    const tenant = await tenantWithProvider(`http://127.0.0.1:9/${uniqueSlug('idp')}`, 'http://127.0.0.1:9/jwks');
    const other = await tenantWithProvider(`http://127.0.0.1:9/${uniqueSlug('idp')}`, 'http://127.0.0.1:9/jwks');
    const path = `/v1/admin/tenants/${tenant.id}/identity-providers/${tenant.providerId}/browser-sign-in`;
    expectProblem(await h.call(path, { method: 'PUT', body: { clientId: SPA_CLIENT } }), 401);
    expectProblem(await h.admin(path, { method: 'PUT', body: {} }), 400, 'validation_failed');
    expectProblem(await h.admin(path, { method: 'PUT', body: { clientId: SPA_CLIENT, scopes: ['email'] } }), 400, 'validation_failed');
    expectProblem(await h.admin(path, { method: 'PUT', body: { clientId: 'has space' } }), 400, 'validation_failed');
    expectProblem(
      await h.admin(`/v1/admin/tenants/${other.id}/identity-providers/${tenant.providerId}/browser-sign-in`, { method: 'PUT', body: { clientId: SPA_CLIENT } }),
      404,
      'identity_provider_not_found',
    );
    expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers/not-a-uuid/browser-sign-in`), 400, 'validation_failed');
  });

  it('answers 503 with Retry-After when discovery is unreachable, and 400 when it names another issuer', async () => {
    const unreachable = await tenantWithProvider(`http://127.0.0.1:9/${uniqueSlug('idp')}`, 'http://127.0.0.1:9/jwks');
    const down = await h.admin(`/v1/admin/tenants/${unreachable.id}/identity-providers/${unreachable.providerId}/browser-sign-in`, {
      method: 'PUT',
      body: { clientId: SPA_CLIENT },
    });
    expectProblem(down, 503, 'identity_provider_discovery_unavailable');
    expect(down.headers['retry-after']).toBe('30');

    // A provider whose discovery document claims to be someone else.
    const impostor = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ issuer: idp.issuer, authorization_endpoint: `${idp.issuer}/auth`, token_endpoint: `${idp.issuer}/token` }),
      );
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const issuer = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
      const tenant = await tenantWithProvider(issuer, `${issuer}/jwks`);
      const refused = await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers/${tenant.providerId}/browser-sign-in`, {
        method: 'PUT',
        body: { clientId: SPA_CLIENT },
      });
      expectProblem(refused, 400, 'validation_failed');
      expect(refused.text).toContain('another issuer');
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });
});
