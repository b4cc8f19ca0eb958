/**
 * One HTTP target of the full-path benchmark, in its own process so it gets
 * its own event loop and the load generator does not share it. Started by
 * full-path.ts with BENCH_SERVER (JSON) in the environment; prints
 * `READY <port>` once it listens on 127.0.0.1, and exits on SIGTERM.
 *
 * - `api`: the real API (createApp), as `npm start` runs it, logging at warn.
 * - `baseline`: a minimal Fastify server: node:crypto RS256 verification with a
 *   cached key, then the same SQL over `pg` as the superuser (no RLS), by
 *   tenant: `GET /v1/projects` and `POST /v1/projects`. It gets the API's own
 *   data-layer techniques — statements prepared once per connection, timestamps
 *   read as ISO text (sql-timestamps.ts) — so the ratio measures what the API
 *   adds (Nest, the guard, row-level security), not what either could do.
 */
import { type KeyObject, createPublicKey } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { createApp } from '../../apps/api/src/app.factory.js';
import { loadConfig } from '../../apps/api/src/config/config.schema.js';
import { SQL_RESULT_TYPES } from '../../apps/api/src/database/sql-timestamps.js';
import type { LocalStackInfo } from '../../tools/local-stack/stack.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import { rawVerifier } from './verification.js';

export type ServerMode = 'api' | 'baseline';

export interface ServerSpec {
  readonly mode: ServerMode;
  readonly stack: LocalStackInfo;
  readonly adminDatabaseUrl: string;
  /** issuer → client ids the baseline accepts. */
  readonly clients: Record<string, string[]>;
  /** token `sub` → tenant id, the baseline's stand-in for tenant resolution. */
  readonly tenantBySubject: Record<string, string>;
  /** token `sub` → user id (the owner of what the baseline writes). */
  readonly userBySubject: Record<string, string>;
}

async function startApi(spec: ServerSpec): Promise<{ port: number; close(): Promise<void> }> {
  const config = loadConfig(apiEnvironment(spec.stack, { LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0' }));
  const app = await createApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no TCP port');
  return { port: address.port, close: () => app.close() };
}

async function startBaseline(spec: ServerSpec): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: spec.adminDatabaseUrl, max: 10 });
  const keys = new Map<string, KeyObject>();
  for (const issuer of Object.keys(spec.clients)) {
    const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: (Record<string, unknown> & { kid: string })[] };
    for (const jwk of jwks.keys) keys.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
  }
  const verify = rawVerifier(keys, new Map(Object.entries(spec.clients).map(([issuer, ids]) => [issuer, new Set(ids)])));
  const fastify = Fastify({ logger: false });
  const caller = (authorization: string | undefined) => {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    try {
      if (!token) return undefined;
      const sub = (verify(token) as Record<string, unknown>)['sub'] as string;
      const tenantId = spec.tenantBySubject[sub];
      const userId = spec.userBySubject[sub];
      return tenantId && userId ? { tenantId, userId } : undefined;
    } catch {
      return undefined;
    }
  };
  const view = (row: Record<string, unknown>) => ({
    id: row['id'],
    name: row['name'],
    description: row['description'],
    ownerId: row['owner_id'],
    createdAt: row['created_at'],
    updatedAt: row['updated_at'],
  });
  fastify.post('/v1/projects', async (request, reply) => {
    const who = caller(request.headers.authorization);
    if (!who) return reply.code(401).send({ code: 'invalid_token' });
    const body = request.body as { name?: unknown; description?: unknown } | undefined;
    if (typeof body?.name !== 'string' || body.name.length === 0) return reply.code(400).send({ code: 'validation_failed' });
    const { rows } = await pool.query({
      name: 'baseline_create_project',
      text: `INSERT INTO projects (tenant_id, owner_id, name, description) VALUES ($1, $2, $3, $4)
             RETURNING id, name, description, owner_id, created_at, updated_at`,
      values: [who.tenantId, who.userId, body.name, typeof body.description === 'string' ? body.description : null],
      types: SQL_RESULT_TYPES,
    });
    return reply.code(201).send(view(rows[0]!));
  });
  fastify.get('/v1/projects', async (request, reply) => {
    const who = caller(request.headers.authorization);
    if (!who) return reply.code(401).send({ code: 'invalid_token' });
    const tenantId = who.tenantId;
    const limit = Math.min(Math.max(Number((request.query as { limit?: string }).limit ?? 20) || 20, 1), 100);
    const { rows } = await pool.query({
      name: 'baseline_list_projects',
      text: `SELECT id, name, description, owner_id, created_at, updated_at FROM projects
             WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      values: [tenantId, limit + 1],
      types: SQL_RESULT_TYPES,
    });
    const items = rows.slice(0, limit).map(view);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  });
  await fastify.listen({ host: '127.0.0.1', port: 0 });
  const address = fastify.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP port');
  return {
    port: address.port,
    async close() {
      await fastify.close();
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env['BENCH_SERVER'] ?? '{}') as ServerSpec;
  const server = spec.mode === 'baseline' ? await startBaseline(spec) : await startApi(spec);
  process.stdout.write(`READY ${server.port}\n`);
  const stop = () => {
    void server.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
