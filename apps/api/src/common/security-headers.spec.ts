import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { securityHeadersOf } from './security-headers.js';

const OPTIONS = { contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] } } };

/** The headers helmet puts on a real node:http response, by lower-case name. */
async function headersOnARealResponse(): Promise<Record<string, string>> {
  const middleware = helmet(OPTIONS);
  const server = createServer((request, response) => middleware(request, response, () => response.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const helmetNames = new Set(Object.keys(securityHeadersOf(OPTIONS)));
    return Object.fromEntries([...response.headers].filter(([name]) => helmetNames.has(name) || /^(x-|cross-origin|origin-agent|referrer|strict|content-security)/.test(name)));
  } finally {
    server.close();
  }
}

describe('securityHeadersOf', () => {
  it('records exactly the headers helmet sets on a real response for the same options', async () => {
    const recorded = securityHeadersOf(OPTIONS);
    expect(recorded).toEqual(await headersOnARealResponse());
    expect(recorded['content-security-policy']).toBe("default-src 'self';frame-ancestors 'none'");
    expect(recorded['x-content-type-options']).toBe('nosniff');
    expect(Object.isFrozen(recorded)).toBe(true);
  });
});
