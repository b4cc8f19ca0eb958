/**
 * Tenant-scoped data access. Every statement for tenant data runs with
 * `app.tenant_id`, `app.user_id` and `app.role` set transaction-locally
 * (`set_config(..., true)`) from the verified request context, sent in the
 * same round trip as the statement (TenantContextPool) — never as extra round
 * trips, never left on a pooled connection. Row-level security decides the rest.
 *
 * - `run(work)`: ONE transaction, for writes that must be atomic. The settings
 *   travel with its BEGIN and hold for every statement in it.
 * - `autocommit(work)`: no interactive transaction. Each statement is its own
 *   implicit transaction with the settings in front of it: reads, and writes
 *   that are a single statement. Costs no round trip beyond the statement.
 * - `sql\`...\``: tagged, parameterised SQL for hot read paths, on the same
 *   pool and with the same settings (or inside the current `run`); prepared
 *   once per connection, timestamps returned as ISO 8601 strings.
 *
 * Compose, don't nest: a `run`, `autocommit` or `sql` inside a `run` (same
 * async chain) joins that transaction instead of opening another one, so a
 * service can call other services and the whole request is one transaction —
 * and one rollback. Without a verified context every method refuses
 * (MissingTenantContextError), and a statement that somehow reaches the pool
 * without settings sees no tenant rows at all.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { MissingTenantContextError } from '../common/domain-error.js';
import { type AuthContext, currentAuth } from '../tenancy/request-context.js';
import { PrismaService } from './prisma.service.js';
import type { TransactionClient } from './prisma-client.js';
import { SQL_RESULT_TYPES, withIsoTimestamps } from './sql-timestamps.js';
import { scopedStatement } from './tenant-context-pool.js';
import { type TenantSettings, tenantScope, tenantSettingsFor } from './tenant-scope.js';

interface ActiveTransaction {
  readonly client: TransactionClient;
  readonly settings: TenantSettings;
}

export interface TenantDbOptions {
  /** Transaction timeout; keep requests short. */
  readonly timeoutMs?: number;
}

/** A parameterised statement: `text` with `$1…$n` and its values, never concatenated input. */
export interface SqlStatement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** The prepared statement's name: one per `sql` template in the code, so one text per name (none: not prepared). */
  readonly name?: string;
}

/**
 * Text and name of each `sql` template, by the template's strings (one frozen array per place
 * in the code, the same object on every call): the text is built once, and the statement is
 * parsed and planned once per connection instead of on every request — for the hot reads,
 * that was half of Postgres' own work per request.
 */
const templates = new WeakMap<TemplateStringsArray, { readonly text: string; readonly name: string }>();
let templateCount = 0;

/** Builds a {@link SqlStatement} from a template: every interpolation becomes a parameter. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlStatement {
  let template = templates.get(strings);
  if (!template) {
    let text = strings[0] ?? '';
    for (let index = 1; index < strings.length; index += 1) text += `$${index}${strings[index] ?? ''}`;
    templateCount += 1;
    template = { text, name: `gatehouse_sql_${templateCount}` };
    templates.set(strings, template);
  }
  return { text: template.text, name: template.name, values };
}

/** Postgres' refusal of a prepared statement whose result columns changed under it (SQLSTATE 0A000). */
function isStalePreparedStatement(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

@Injectable()
export class TenantDb {
  private readonly active = new AsyncLocalStorage<ActiveTransaction>();

  constructor(private readonly prisma: PrismaService) {}

  /** Runs `work` in ONE transaction as the current request's verified tenant, user and role. */
  run<T>(work: (db: TransactionClient) => Promise<T>, options?: TenantDbOptions): Promise<T> {
    return this.runAs(currentAuth(), work, options);
  }

  /**
   * Like {@link run}, as an explicit context: for code paths that act for a
   * tenant outside an HTTP request (seeding, jobs) and for tests.
   */
  runAs<T>(auth: AuthContext | undefined, work: (db: TransactionClient) => Promise<T>, options: TenantDbOptions = {}): Promise<T> {
    const entry = this.enter(auth);
    if (entry.kind === 'refused') return Promise.reject(entry.error);
    if (entry.kind === 'joined') return work(entry.client);
    const { settings } = entry;
    // Prisma's promises are lazy: each is awaited here, inside the scope, so its statements carry the settings.
    return tenantScope.run(settings, async () =>
      this.prisma.client.$transaction(async (client) => this.active.run({ client, settings }, async () => await work(client)), {
        timeout: options.timeoutMs ?? 10_000,
        maxWait: 5_000,
      }),
    );
  }

  /**
   * The start of every tenant-scoped call: the verified context as settings,
   * then either the outer `run()` to join, a refusal (no context, or another
   * principal inside a transaction), or fresh settings to scope the work with.
   */
  private enter(
    auth: AuthContext | undefined,
  ): { kind: 'refused'; error: unknown } | { kind: 'joined'; client: TransactionClient } | { kind: 'fresh'; settings: TenantSettings } {
    let settings: TenantSettings;
    try {
      settings = tenantSettingsFor(auth);
    } catch (error) {
      return { kind: 'refused', error };
    }
    const outer = this.joinable(settings);
    if (outer === 'refused') return { kind: 'refused', error: new MissingTenantContextError() };
    if (outer) return { kind: 'joined', client: outer.client };
    return { kind: 'fresh', settings };
  }

  /** Runs `work` without an interactive transaction: every statement carries the settings itself. */
  autocommit<T>(work: (db: TransactionClient) => Promise<T>): Promise<T> {
    return this.autocommitAs(currentAuth(), work);
  }

  autocommitAs<T>(auth: AuthContext | undefined, work: (db: TransactionClient) => Promise<T>): Promise<T> {
    const entry = this.enter(auth);
    if (entry.kind === 'refused') return Promise.reject(entry.error);
    if (entry.kind === 'joined') return work(entry.client);
    const { settings } = entry;
    return tenantScope.run(settings, async () => await await work(this.prisma.autocommitClient));
  }

  /** Rows of one parameterised statement (see {@link sql}), as the current request's tenant; timestamps as ISO strings (sql-timestamps.ts). */
  query<Row>(statement: SqlStatement): Promise<Row[]> {
    return this.queryAs<Row>(currentAuth(), statement);
  }

  async queryAs<Row>(auth: AuthContext | undefined, statement: SqlStatement): Promise<Row[]> {
    const settings = tenantSettingsFor(auth);
    const outer = this.joinable(settings);
    if (outer === 'refused') throw new MissingTenantContextError();
    if (outer) return (await outer.client.$queryRawUnsafe<Row[]>(statement.text, ...statement.values)).map(withIsoTimestamps);
    const config = { name: statement.name, text: statement.text, values: statement.values as unknown[], types: SQL_RESULT_TYPES };
    const send = () => this.prisma.pool.query(scopedStatement(settings, config));
    // A migration that changed a selected column's type (a rolling deploy) makes Postgres refuse a
    // statement prepared before it. The pool has already discarded that connection (pg-pool drops a
    // connection whose query failed), so the one retry prepares the statement afresh elsewhere.
    try {
      return (await send()).rows as Row[];
    } catch (error) {
      if (!isStalePreparedStatement(error)) throw error;
      return (await send()).rows as Row[];
    }
  }

  /** The enclosing transaction of this async chain, if it is for the same principal. */
  private joinable(settings: TenantSettings): ActiveTransaction | 'refused' | undefined {
    const outer = this.active.getStore();
    // Never let an inner call switch identity inside one transaction.
    if (outer && outer.settings.key !== settings.key) return 'refused';
    return outer;
  }
}
