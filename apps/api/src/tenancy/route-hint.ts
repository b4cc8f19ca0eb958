/**
 * The tenant a request's route names, if any: a registered host
 * (`login.acme.com`), a subdomain of the public base domain (`acme.app.example`)
 * or an `X-Tenant-Id` header (slug or id). A hint never grants anything: the
 * guard only checks that it names the same tenant as the verified token.
 */
import type { IssuerRegistry, TenantSnapshot } from '../auth/issuer-registry.js';

export type RouteHint =
  | { readonly kind: 'none' }
  | { readonly kind: 'tenant'; readonly tenant: TenantSnapshot; readonly source: 'host' | 'header' }
  /** The route names a tenant that does not exist (or two that disagree): nothing can match it. */
  | { readonly kind: 'unmatched'; readonly source: 'host' | 'header' | 'conflict' };

export interface RouteHintInput {
  readonly hostname: string | undefined;
  readonly tenantHeader: string | string[] | undefined;
}

export function resolveRouteHint(
  input: RouteHintInput,
  registry: IssuerRegistry,
  publicBaseDomain: string | undefined,
): RouteHint {
  const fromHost = hintFromHost(input.hostname, registry, publicBaseDomain);
  const fromHeader = hintFromHeader(input.tenantHeader, registry);
  if (fromHost.kind === 'none') return fromHeader;
  if (fromHeader.kind === 'none') return fromHost;
  if (fromHost.kind === 'tenant' && fromHeader.kind === 'tenant' && fromHost.tenant.id === fromHeader.tenant.id) {
    return fromHost;
  }
  return { kind: 'unmatched', source: 'conflict' };
}

/** Digits only, at least one: a port. */
const PORT = /^\d+$/;

/**
 * `Host` as the registry keys it: lower case, without `:port` and without one trailing dot.
 * (What `.replace(/:\d+$/, '').replace(/\.$/, '')` does, without two regular expressions on every request.)
 */
export function normalizeHost(hostname: string): string {
  let host = hostname.toLowerCase();
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && PORT.test(host.slice(colon + 1))) host = host.slice(0, colon);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function hintFromHost(hostname: string | undefined, registry: IssuerRegistry, base: string | undefined): RouteHint {
  if (!hostname) return { kind: 'none' };
  const host = normalizeHost(hostname);
  const registered = registry.tenantByHost(host);
  if (registered) return { kind: 'tenant', tenant: registered, source: 'host' };
  if (base) {
    const suffix = `.${base.toLowerCase()}`;
    if (host.endsWith(suffix)) {
      const label = host.slice(0, -suffix.length);
      if (!label.includes('.')) {
        const tenant = registry.tenantBySlug(label);
        return tenant ? { kind: 'tenant', tenant, source: 'host' } : { kind: 'unmatched', source: 'host' };
      }
    }
  }
  return { kind: 'none' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function hintFromHeader(header: string | string[] | undefined, registry: IssuerRegistry): RouteHint {
  if (header === undefined) return { kind: 'none' };
  const value = Array.isArray(header) ? undefined : header.trim();
  if (!value) return { kind: 'unmatched', source: 'header' };
  const tenant = UUID.test(value) ? registry.tenant(value.toLowerCase()) : registry.tenantBySlug(value);
  return tenant ? { kind: 'tenant', tenant, source: 'header' } : { kind: 'unmatched', source: 'header' };
}
