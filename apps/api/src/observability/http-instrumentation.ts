/**
 * HTTP metrics and server spans as Fastify hooks. Labels are the route
 * template (`/v1/users/:id`), never the raw URL, so cardinality stays bounded;
 * requests that match no route share one label. Nothing is installed for what
 * is turned off (no metrics port, no OTLP endpoint).
 */
import type { Span } from '@opentelemetry/api';
import { SpanStatusCode, context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IssuerRegistry } from '../auth/issuer-registry.js';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';

export const UNMATCHED_ROUTE = '(unmatched)';

/** The route template a request matched, or {@link UNMATCHED_ROUTE}. */
export function routeTemplate(request: FastifyRequest): string {
  return request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
}

export function instrumentHttp(fastify: FastifyInstance, options: { metrics?: Metrics; tracing: Tracing }): void {
  const { metrics, tracing } = options;
  if (metrics) {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = routeTemplate(request);
      metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
      metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
  }
  if (!tracing.enabled) return;
  const spans = new WeakMap<FastifyRequest, Span>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = routeTemplate(request);
    const started = tracing.startServerSpan(`${request.method} ${route}`, request.headers, {
      'http.request.method': request.method,
      'http.route': route,
      'gatehouse.request_id': String(request.id),
    });
    if (!started) return done();
    spans.set(request, started.span);
    context.with(started.context, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

/** Trusted issuers and tenants in this replica's registry, read when scraped. */
export function observeRegistry(metrics: Metrics, issuers: { readonly registry: IssuerRegistry }): void {
  metrics.observeGauge('gatehouse_issuer_registry_size', 'Entries in the trusted-issuer registry, by kind (issuers, tenants).', ['kind'], (set) => {
    const size = issuers.registry.size;
    set({ kind: 'issuers' }, size.issuers);
    set({ kind: 'tenants' }, size.tenants);
  });
}
