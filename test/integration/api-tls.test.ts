/**
 * The API's own HTTPS listener (issue 14 row 2: TLS from the ALB to the pod),
 * against real Postgres: with TLS_CERT_FILE/TLS_KEY_FILE the public port speaks
 * TLS only, the health probes (the kubelet's and the ALB's, both over HTTPS)
 * answer, and a plain-HTTP request gets no HTTP answer.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../apps/api/src/app.factory.js';
import { testConfig } from '../support/app.js';

const fixture = (name: string) => join(process.cwd(), 'test', 'support', 'tls', name);
let app: NestFastifyApplication;
let port: number;

beforeAll(async () => {
  app = await createApp(testConfig({ TLS_CERT_FILE: fixture('a.crt'), TLS_KEY_FILE: fixture('a.key') }), { logger: pino({ level: 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.getHttpServer().address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  await app?.close();
});

function getHttps(path: string): Promise<{ status: number; body: string; certificate: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest({ host: '127.0.0.1', port, path, ca: readFileSync(fixture('a.crt')) }, (response) => {
      const subject = (response.socket as TLSSocket).getPeerCertificate().subject?.CN;
      const certificate = Array.isArray(subject) ? subject.join() : (subject ?? '');
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, certificate }));
    });
    request.once('error', reject);
    request.end();
  });
}

describe('the API over HTTPS (issue 14 row 2)', () => {
  it('answers the probes over TLS with the configured certificate, verified against it', async () => {
    const live = await getHttps('/health/live');
    expect(live.status).toBe(200);
    expect(live.certificate).toBe('gatehouse-api-test-a');
    const ready = await getHttps('/health/ready');
    expect(ready.status, ready.body).toBe(200);
    const problem = await getHttps('/v1/projects');
    expect(problem.status).toBe(401);
  });

  it('gives a plain-HTTP request no HTTP answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const request = httpRequest({ host: '127.0.0.1', port, path: '/health/live', timeout: 10_000 }, (response) => resolve(`HTTP ${response.statusCode}`));
      request.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      request.once('timeout', () => request.destroy(new Error('timeout')));
      request.end();
    });
    expect(outcome).not.toMatch(/^HTTP /);
  });
});
