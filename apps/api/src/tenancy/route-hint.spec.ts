import { describe, expect, it } from 'vitest';
import { IssuerRegistry } from '../auth/issuer-registry.js';
import { tenantSnapshot } from '../auth/testing/tenant-snapshot.fixture.js';
import { normalizeHost, resolveRouteHint } from './route-hint.js';

const tenant = (id: string, slug: string, hosts: string[] = []) => tenantSnapshot({ id, slug, hosts });

const ACME = '11111111-1111-4111-8111-111111111111';
const GLOBEX = '22222222-2222-4222-8222-222222222222';
const registry = new IssuerRegistry([], () => true);
registry.upsertTenant(ACME, tenant(ACME, 'acme', ['login.acme.com']));
registry.upsertTenant(GLOBEX, tenant(GLOBEX, 'globex'));

const hint = (hostname: string | undefined, tenantHeader?: string) =>
  resolveRouteHint({ hostname, tenantHeader }, registry, 'app.example');

describe(resolveRouteHint.name, () => {
  it('finds no hint on an unrelated host without a header', () => {
    expect(hint('api.example.com').kind).toBe('none');
    expect(hint('127.0.0.1:3000').kind).toBe('none');
  });

  it('reads registered hosts and subdomains of the public base domain', () => {
    expect(hint('login.acme.com')).toMatchObject({ kind: 'tenant', tenant: { id: ACME }, source: 'host' });
    expect(hint('GLOBEX.app.example:443')).toMatchObject({ kind: 'tenant', tenant: { id: GLOBEX } });
  });

  it('treats an unknown subdomain as a hint that matches nothing', () => {
    expect(hint('nobody.app.example')).toEqual({ kind: 'unmatched', source: 'host' });
    expect(hint('a.b.app.example').kind).toBe('none');
  });

  it('reads X-Tenant-Id as a slug or an id, and an unknown or empty one matches nothing', () => {
    expect(hint(undefined, 'acme')).toMatchObject({ kind: 'tenant', tenant: { id: ACME }, source: 'header' });
    expect(hint(undefined, GLOBEX.toUpperCase())).toMatchObject({ kind: 'tenant', tenant: { id: GLOBEX } });
    expect(hint(undefined, 'nobody').kind).toBe('unmatched');
    expect(hint(undefined, '  ').kind).toBe('unmatched');
  });

  it('agreeing host and header are one hint; disagreeing ones match nothing', () => {
    expect(hint('acme.app.example', 'acme')).toMatchObject({ kind: 'tenant', tenant: { id: ACME } });
    expect(hint('acme.app.example', 'globex')).toEqual({ kind: 'unmatched', source: 'conflict' });
  });
});

describe(normalizeHost.name, () => {
  /** The two regular expressions normalizeHost stands in for. */
  const byRegex = (hostname: string) => hostname.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');

  it.each([
    ['ACME.app.example', 'acme.app.example'],
    ['acme.app.example:8443', 'acme.app.example'],
    ['acme.app.example.', 'acme.app.example'],
    ['acme.app.example.:443', 'acme.app.example'],
    ['acme.app.example..', 'acme.app.example.'],
    ['127.0.0.1:3000', '127.0.0.1'],
    ['[::1]:3000', '[::1]'],
    ['[::1]', '[::1]'],
    ['host:', 'host:'],
    ['host:12a', 'host:12a'],
    ['host:1:2', 'host:1'],
    ['.', ''],
  ])('%s → %s, as the regular expressions give', (hostname, expected) => {
    expect(normalizeHost(hostname)).toBe(expected);
    expect(byRegex(hostname)).toBe(expected);
  });

  it('agrees with the regular expressions on every short host made of the characters that matter', () => {
    const alphabet = ['a', 'B', '1', ':', '.', '[', ']'];
    let checked = 0;
    const visit = (prefix: string) => {
      expect(normalizeHost(prefix)).toBe(byRegex(prefix));
      checked += 1;
      if (prefix.length < 5) for (const character of alphabet) visit(prefix + character);
    };
    visit('');
    expect(checked).toBe((7 ** 6 - 1) / 6);
  });
});
