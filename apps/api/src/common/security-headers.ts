/**
 * Security headers on every response, errors included, computed ONCE.
 *
 * The headers are helmet's, from the same options, but helmet is run a single
 * time at start-up against a recorder instead of on every request: the Fastify
 * plugin (@fastify/helmet) rebuilt helmet's whole middleware per request —
 * parsing the Content-Security-Policy directives again each time — which
 * profiled at ~5% of the API's CPU per request. The options here are static
 * (no per-request nonces, no directive functions), so the result is the same
 * set of headers for every response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

export type SecurityHeaders = Readonly<Record<string, string>>;

/** The headers helmet sets for `options`, by lower-case name. */
export function securityHeadersOf(options: Readonly<HelmetOptions>): SecurityHeaders {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return Object.freeze(headers);
}

/** Sets `headers` on every reply, before anything can answer (so errors and 404s carry them too). */
export function registerSecurityHeaders(fastify: FastifyInstance, headers: SecurityHeaders): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}
