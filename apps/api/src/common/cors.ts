/**
 * Cross-origin access for browsers: which origins may call the API, and the
 * headers that say so. An origin is allowed when the configuration lists it
 * (CORS_ALLOWED_ORIGINS) or when it is `https://<host>` for a host an active
 * tenant registered (or `https://<slug>.<PUBLIC_BASE_DOMAIN>`, the same host
 * the route hint reads). The allowed origin is echoed, never `*`, with
 * `Vary: Origin` on every response so caches keep answers per origin.
 *
 * No `Access-Control-Allow-Credentials`: the API authenticates with bearer
 * tokens only and sets no cookies, so a browser never needs to send any.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IssuerRegistry } from '../auth/issuer-registry.js';

export const CORS_ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Request headers a page may send: what the API reads, plus Cognito's device data the sign-in forwards. */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'x-tenant-id', 'x-request-id', 'x-cognito-device-data'] as const;
/** Response headers a page may read (the CORS-safelisted ones need no listing). */
export const CORS_EXPOSED_HEADERS = ['retry-after', 'x-request-id', 'location', 'www-authenticate'] as const;
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_PREFLIGHT_MAX_AGE_SECONDS = 600;

export interface CorsOriginSources {
  /** Origins from the configuration, already normalised (`scheme://host[:port]`, lower case). */
  readonly configured: readonly string[];
  readonly registry: () => IssuerRegistry;
  readonly publicBaseDomain: string | undefined;
}

/** Decides whether a page on `origin` may read the API's answers. */
export class CorsOriginPolicy {
  private readonly configured: ReadonlySet<string>;

  constructor(private readonly sources: CorsOriginSources) {
    this.configured = new Set(sources.configured);
  }

  allows(origin: string | undefined): origin is string {
    if (!origin || origin === 'null') return false;
    if (this.configured.has(origin.toLowerCase())) return true;
    const host = httpsOriginHost(origin);
    return host !== undefined && this.isActiveTenantHost(host);
  }

  private isActiveTenantHost(host: string): boolean {
    const registry = this.sources.registry();
    const registered = registry.tenantByHost(host);
    if (registered) return registered.status === 'active';
    const base = this.sources.publicBaseDomain?.toLowerCase();
    if (!base || !host.endsWith(`.${base}`)) return false;
    const label = host.slice(0, -(base.length + 1));
    return !label.includes('.') && registry.tenantBySlug(label)?.status === 'active';
  }
}

/** The host of an `https://host` origin on the default port, or undefined for anything else. */
function httpsOriginHost(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  // An Origin header is exactly scheme://host[:port]; anything longer is not one.
  if (url.protocol !== 'https:' || url.port !== '' || url.origin !== origin.toLowerCase()) return undefined;
  return url.hostname;
}

/** Adds `value` to the response's Vary header unless it is already there. */
function appendVary(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('vary');
  if (current === undefined) {
    void reply.header('vary', value); // the common case: nothing varies yet
    return;
  }
  const existing = (Array.isArray(current) ? current.join(',') : String(current))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (existing.includes('*') || existing.some((part) => part.toLowerCase() === value.toLowerCase())) return;
  void reply.header('vary', [...existing, value].join(', '));
}

function isPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && typeof request.headers.origin === 'string' && request.headers['access-control-request-method'] !== undefined;
}

/**
 * Installs the CORS hooks. A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered here for every path, 204, before
 * routing, guards or rate limits: from an allowed origin with the allow-lists,
 * from any other origin with no CORS headers at all, which the browser reads
 * as a refusal. Actual requests from an allowed origin get the origin echoed
 * and the exposed headers, errors included.
 */
export function registerCors(fastify: FastifyInstance, policy: CorsOriginPolicy): void {
  // Callback-style hooks: both run on every request, and an async hook costs a promise or two each time.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isPreflight(request)) {
      done();
      return;
    }
    appendVary(reply, 'Origin');
    const origin = request.headers.origin;
    if (policy.allows(origin)) {
      void reply.headers({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': CORS_ALLOWED_METHODS.join(', '),
        'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
        'access-control-max-age': String(CORS_PREFLIGHT_MAX_AGE_SECONDS),
      });
    }
    // Answered here: a hook that sends its reply does not call done().
    void reply.status(204).send();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    appendVary(reply, 'Origin');
    const origin = request.headers.origin;
    if (!isPreflight(request) && policy.allows(origin)) {
      void reply.headers({
        'access-control-allow-origin': origin,
        'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', '),
      });
    }
    done(null, payload);
  });
}
