/**
 * Swagger UI at /docs in a real browser (issue 13, item 6): authorise with a Cognito
 * access token, reload, and the token is still there (`persistAuthorization`), and
 * "Try it out" on `GET /v1/me` answers 200 with it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { type Harness, createTenant, firstSignIn, mirrorRow, signInClient, startHarness } from './tenants-harness.js';

/** Swagger UI renders late on a loaded machine: wait generously, by condition, never a fixed sleep. */
const UI_TIMEOUT_MS = 60_000;

let h: Harness;
let browser: Browser;
let accessToken: string;
let email: string;

beforeAll(async () => {
  h = await startHarness();
  const created = await createTenant(h, { tier: 'basic' });
  email = created.email;
  const admin = await mirrorRow(h, created.tenant.id, email);
  accessToken = (await firstSignIn(h, signInClient(created.tenant), admin!.username)).accessToken;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function openAuthorizeDialog(page: Page) {
  await page.locator('.swagger-ui button.authorize').first().click({ timeout: UI_TIMEOUT_MS });
  const dialog = page.locator('.swagger-ui .dialog-ux .modal-ux');
  await dialog.waitFor({ timeout: UI_TIMEOUT_MS });
  return dialog;
}

describe('Swagger UI at /docs', () => {
  it('keeps the bearer token across a reload, and Try it out calls GET /v1/me with it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.api.baseUrl}/docs`, { timeout: UI_TIMEOUT_MS });

    const dialog = await openAuthorizeDialog(page);
    await dialog.locator('input').first().fill(accessToken);
    await dialog.getByRole('button', { name: 'Apply credentials' }).click();
    await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await dialog.locator('button.btn-done').click();

    await page.reload({ timeout: UI_TIMEOUT_MS });
    // Still authorised after the reload: the dialog offers Logout ("Remove authorization"), and the stored token is the one entered.
    const again = await openAuthorizeDialog(page);
    await again.getByRole('button', { name: 'Remove authorization' }).waitFor({ timeout: UI_TIMEOUT_MS });
    // Runs in the page (the project's TypeScript has no DOM types, hence the narrow cast).
    const stored = await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem('authorized'));
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ bearer: { value: accessToken } });
    await again.locator('button.btn-done').click();

    const operation = page.locator('#operations-me-getMe');
    await operation.locator('.opblock-summary').first().click({ timeout: UI_TIMEOUT_MS });
    await operation.locator('button.try-out__btn').click({ timeout: UI_TIMEOUT_MS });
    const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/me', { timeout: UI_TIMEOUT_MS });
    await operation.locator('button.execute').click();
    const response = await answered;
    expect(response.request().headers()['authorization']).toBe(`Bearer ${accessToken}`);
    expect(response.status()).toBe(200);
    expect(((await response.json()) as { user: { email: string } }).user.email).toBe(email);
    // And the page shows it.
    await operation.locator('.live-responses-table .response-col_status', { hasText: '200' }).first().waitFor({ timeout: UI_TIMEOUT_MS });
    await context.close();
  }, 240_000);
});
