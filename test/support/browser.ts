/**
 * Real Chromium for browser tests: Debian's `/usr/bin/chromium` driven by
 * playwright-core, headless, without the sandbox (tests run as root) and without
 * background traffic. Every launch gets a fresh temporary profile (Playwright's
 * default), so no state leaks between suites.
 */
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
