/**
 * The example SPA (examples/spa) in real Chromium, on its own origin, calling the API across
 * origins through @gatehouse/client: a journey per isolation model, MFA set-up with a TOTP
 * code, sign-up with the e-mailed code, SSO through a real oidc-provider login page, a tenant
 * that never sees another's data, and a page on an origin the API does not allow.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedSpa, buildExampleSpa, serveExampleSpa } from '../../tools/local-stack/example-spa.js';
import { launchChromium } from '../support/browser.js';
import { latestCode } from '../support/emulator-codes.js';
import { uniqueEmail, uniqueSlug } from '../support/factories.js';
import { type TestOidcProvider, startOidcProvider } from '../support/oidc-provider.js';
import { createOpenPoolTenant } from '../support/open-pool-tenant.js';
import { type CognitoTenantKey, PASSWORD, type World, buildWorld, forgetStaleIssuer } from '../support/world.js';

/** Generous: two cores shared by many suites, and Cognito's emulator behind every sign-in. */
const STEP_TIMEOUT_MS = 30_000;

let distDir: string;
let spa: ServedSpa;
let world: World;
let browser: Browser;

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'gatehouse-spa-'));
  await buildExampleSpa(distDir);
  spa = await serveExampleSpa({ distDir, apiBaseUrl: 'http://127.0.0.1:9' });
  world = await buildWorld({ CORS_ALLOWED_ORIGINS: spa.origin });
  spa.setApiBaseUrl(world.api.baseUrl);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await spa?.close();
  if (distDir) await rm(distDir, { recursive: true, force: true });
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  return page;
}

/** Types the e-mail (and organisation, since the test tenants' domains are not DNS-verified) and continues. */
async function findTenant(page: Page, email: string, slug: string): Promise<void> {
  await page.goto(spa.origin);
  await page.fill('#email', email);
  await page.fill('#tenant-slug', slug);
  await page.click('#find-form button');
  await page.locator('#sign-in').waitFor({ state: 'visible' });
}

async function signIn(page: Page, email: string, slug: string, password = PASSWORD): Promise<void> {
  await findTenant(page, email, slug);
  await page.fill('#password', password);
  await page.click('#password-form button');
}

async function expectSignedInAs(page: Page, email: string): Promise<void> {
  await page.locator('#app').waitFor({ state: 'visible' });
  await expect.poll(() => page.textContent('#signed-in-email'), { timeout: STEP_TIMEOUT_MS }).toBe(email);
}

async function createProject(page: Page, name: string): Promise<void> {
  await page.fill('#project-name', name);
  await page.click('#project-form button');
  await page.locator('#projects li', { hasText: name }).waitFor();
}

describe('the example SPA in Chromium', () => {
  it.each<CognitoTenantKey>(['poolA', 'bridgeC', 'siloE'])('signs a %s user in, creates and lists a project, and signs out', async (key) => {
    const user = world.users[key].member;
    const page = await newPage();
    await signIn(page, user.email, user.tenant.slug);
    await expectSignedInAs(page, user.email);
    const name = `Project ${uniqueSlug(key)}`;
    await createProject(page, name);
    await page.click('#sign-out');
    await expect.poll(() => page.textContent('#status'), { timeout: STEP_TIMEOUT_MS }).toBe('Signed out');
    await page.locator('#find-tenant').waitFor({ state: 'visible' });
    await page.context().close();
  });

  it('shows a tenant only its own projects', async () => {
    const owner = world.users.poolA.admin;
    const neighbour = world.users.poolB.admin;
    const page = await newPage();
    await signIn(page, owner.email, owner.tenant.slug);
    await expectSignedInAs(page, owner.email);
    const secret = `Secret ${uniqueSlug('a')}`;
    await createProject(page, secret);
    await page.context().close();

    const other = await newPage();
    await signIn(other, neighbour.email, neighbour.tenant.slug);
    await expectSignedInAs(other, neighbour.email);
    const mine = `Mine ${uniqueSlug('b')}`;
    await createProject(other, mine);
    expect(await other.locator('#projects li').allTextContents()).not.toContain(secret);
    // The same user named with the other tenant's slug is not that tenant's user: sign-in is refused.
    await signIn(other, neighbour.email, owner.tenant.slug);
    await expect.poll(() => other.textContent('#error'), { timeout: STEP_TIMEOUT_MS }).toMatch(/invalid_credentials/);
    await other.context().close();
  });

  it('sets up two-factor sign-in when the tenant requires it, then asks for the TOTP code at the next sign-in', async () => {
    const user = world.users.bridgeD.member;
    await world.privileged.tenant.update({ where: { id: user.tenant.id }, data: { mfaPolicy: 'required' } });
    await world.refresh(user.tenant.id);
    const page = await newPage();
    await signIn(page, user.email, user.tenant.slug);
    await page.locator('#challenge').waitFor({ state: 'visible' });
    const secret = (await page.textContent('#mfa-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.fill('#challenge-answer', generateSync({ secret }));
    await page.click('#challenge-form button');
    await expectSignedInAs(page, user.email);
    await page.click('#sign-out');
    await page.locator('#find-tenant').waitFor({ state: 'visible' });

    // Enrolled: the next sign-in asks for a code from the authenticator, and a wrong one can be retried.
    await signIn(page, user.email, user.tenant.slug);
    await page.locator('#challenge').waitFor({ state: 'visible' });
    await expect.poll(() => page.textContent('#challenge-prompt'), { timeout: STEP_TIMEOUT_MS }).toMatch(/code from your authenticator/);
    await page.fill('#challenge-answer', '000000');
    await page.click('#challenge-form button');
    await expect.poll(() => page.textContent('#error'), { timeout: STEP_TIMEOUT_MS }).toMatch(/invalid_code/);
    await page.fill('#challenge-answer', generateSync({ secret }));
    await page.click('#challenge-form button');
    await expectSignedInAs(page, user.email);
    await page.context().close();
  });

  it('signs a new user up, confirms the e-mailed code, and signs them in', async () => {
    const slug = await createOpenPoolTenant(world.api);
    const email = uniqueEmail('signup.test');
    const page = await newPage();
    await findTenant(page, email, slug);
    await page.click('#show-sign-up');
    await page.fill('#sign-up-password', PASSWORD);
    await page.click('#sign-up-form button');
    await page.locator('#confirm-form').waitFor({ state: 'visible' });
    const row = await world.privileged.user.findFirstOrThrow({ where: { email, tenant: { slug } } });
    await page.fill('#confirm-code', await latestCode(row.username, 'SignUp'));
    await page.click('#confirm-form button');
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    await page.fill('#password', PASSWORD);
    await page.click('#password-form button');
    await expectSignedInAs(page, email);
    await page.context().close();
  });

  describe('SSO at the tenant’s own OpenID Connect provider', () => {
    let idp: TestOidcProvider;
    const audience = `urn:gatehouse:${uniqueSlug('api')}`;
    const email = uniqueEmail('sso.test');

    beforeAll(async () => {
      idp = await startOidcProvider({
        clients: [{ client_id: 'example-spa', redirect_uris: [`${spa.origin}/callback`] }],
        accounts: { carol: { email, groups: ['staff'] } },
        accessTokenAudience: audience,
      });
    });

    afterAll(async () => {
      await idp?.stop();
    });

    it('signs in through the provider’s login page (code flow + PKCE) and uses its access token across origins', async () => {
      const slug = uniqueSlug('sso');
      const tenant = await world.privileged.tenant.create({
        data: { slug, name: `SSO ${slug}`, tier: 'basic', isolationModel: 'pool', status: 'active', region: 'us-east-1' },
      });
      await forgetStaleIssuer(world.privileged, idp.issuer);
      await world.privileged.tenantIdentityProvider.create({
        data: {
          tenantId: tenant.id,
          issuer: idp.issuer,
          audience,
          jwksUri: idp.jwksUri,
          claimMapping: { defaultRole: 'member' },
          browserClientId: 'example-spa',
          authorizationEndpoint: `${idp.issuer}/auth`,
          tokenEndpoint: `${idp.issuer}/token`,
        },
      });
      await world.refresh(tenant.id);

      const page = await newPage();
      await findTenant(page, email, slug);
      await page.click('#sso-buttons button[data-sso="oidc"]');
      // The provider's own login page, on its own origin.
      await page.waitForURL((url) => url.origin === idp.issuer && url.pathname.startsWith('/interaction/'));
      await page.fill('input[name="login"]', 'carol');
      await page.click('button[type="submit"]');
      await page.waitForURL((url) => url.origin === spa.origin);
      await expectSignedInAs(page, email);
      expect(new URL(page.url()).search).toBe('');
      await createProject(page, `SSO ${uniqueSlug('p')}`);
      expect(idp.errors()).toEqual([]);
      await page.context().close();
    });
  });

  it('lets only allowed origins read the API’s answers', async () => {
    const lookup = `${world.api.baseUrl}/v1/tenants/lookup?slug=${world.tenants.poolA.slug}`;
    const read = (page: Page) =>
      page.evaluate(
        (url) =>
          fetch(url, { headers: { 'x-request-id': 'cross-origin-check' } }).then(
            (response) => response.status,
            (error: unknown) => `refused: ${String(error)}`,
          ),
        lookup,
      );
    const allowed = await newPage();
    await allowed.goto(spa.origin);
    expect(await read(allowed)).toBe(200);
    await allowed.context().close();

    const elsewhere = await serveExampleSpa({ distDir, apiBaseUrl: world.api.baseUrl });
    try {
      const page = await newPage();
      await page.goto(elsewhere.origin);
      expect(await read(page)).toMatch(/^refused: TypeError/);
      await page.context().close();
    } finally {
      await elsewhere.close();
    }
  });
});
