/**
 * The application role's connection pool: while a tenant scope is active
 * (tenant-scope.ts), every statement is sent with the tenant settings in
 * front of it, in ONE round trip:
 *
 *   Parse/Bind/Execute  SELECT set_config('app.tenant_id', $1, true), … ('app.user_id'), … ('app.role')
 *   Parse/Bind/Describe/Execute  <the statement>
 *   Sync
 *
 * The settings statement is a named prepared statement, parsed once per
 * connection (`gatehouse_tenant_settings`): parsing and planning it again for
 * every request was a third of Postgres' own work per tenant-scoped read.
 *
 * Postgres runs everything before a Sync in one implicit transaction, so the
 * transaction-local settings apply to the statement and end with it: they can
 * never survive on the pooled connection, whatever happens next. (A CTE with
 * set_config does not work: Postgres never evaluates an unreferenced CTE.)
 *
 * Inside an explicit transaction (BEGIN … COMMIT, Prisma's `$transaction`), the
 * settings travel with the first statement that has a scope (normally BEGIN
 * itself) and are not repeated; a statement for a different scope in that
 * transaction is refused. In an aborted transaction nothing is prepended, so
 * the ROLLBACK goes through. Without a scope, statements go out unchanged and
 * row-level security sees no tenant: no rows (fail closed).
 *
 * Where the scope comes from: `pool.query` (Prisma's reads) captures it when
 * it is CALLED — a statement may wait for a free connection and then be sent
 * from another request's callback, so reading it later would be wrong.
 * Statements on a checked-out client (transactions) read it when they are
 * called too, from the caller's own async chain.
 *
 * Relies on `pg` internals that are stable across 8.x: Query's `prepare`
 * and response handlers and Client's `_handleReadyForQuery`.
 */
import pg from 'pg';
import { type TenantSettings, tenantScope } from './tenant-scope.js';

const SET_SETTINGS_SQL =
  "SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true), set_config('app.role', $3, true)";
/** The settings statement's name on every connection of this pool (pg's own statements are named by their callers). */
export const SET_SETTINGS_STATEMENT = 'gatehouse_tenant_settings';

/** Settings captured by the pool at call time (null: captured, and there were none). */
const CAPTURED = Symbol('gatehouse.capturedTenantSettings');

type QueryCallback = (error: Error | null, result?: unknown) => void;
type QueryConfig = Record<string | symbol, unknown> & { text?: string; values?: unknown[]; rows?: number };

/** The slice of pg's Connection the query writes to. */
interface WireConnection {
  /** Named statements Postgres confirmed (ParseComplete) on this connection, and those sent but not yet confirmed. */
  readonly parsedStatements: Record<string, string>;
  readonly submittedNamedStatements: Record<string, string>;
  parse(message: { text: string; name?: string; types?: unknown[] }): void;
  bind(message: { portal?: string; statement?: string; values?: unknown[] }): void;
  execute(message: { portal?: string; rows?: number }): void;
}

/** pg's Query, as far as this module extends it (the public typings leave these out). */
interface PgQueryInternals {
  queryMode?: string;
  rows?: number;
  prepare(connection: WireConnection): void;
  submit(connection: WireConnection): Error | null;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: WireConnection): void;
  handleError(error: Error, connection: WireConnection): void;
}
const PgQuery = pg.Query as unknown as new (config: QueryConfig, values?: unknown, callback?: QueryCallback) => PgQueryInternals;

/**
 * A query config for `pool.query` that carries `settings` itself, as if it had been called inside
 * `tenantScope.run(settings, …)` — without entering the scope (one async context switch fewer on
 * the hottest reads).
 */
export function scopedStatement<Config extends { readonly text: string }>(settings: TenantSettings, config: Config): Config {
  return { ...config, [CAPTURED]: settings };
}

export class TenantContextSwitchError extends Error {
  override readonly name = 'TenantContextSwitchError';
  constructor() {
    super('refusing a statement for another tenant context inside an open transaction');
  }
}

/** The settings statement's Parse was sent on this connection and Postgres has not confirmed it yet. */
function settingsStatementAwaited(connection: WireConnection): boolean {
  return connection.submittedNamedStatements[SET_SETTINGS_STATEMENT] !== undefined && connection.parsedStatements[SET_SETTINGS_STATEMENT] === undefined;
}

/** A statement with the tenant settings pipelined in front of it; decides at send time. */
class ScopedQuery extends PgQuery {
  /** True while the response to the settings statement is still being read (and swallowed). */
  private settingsPending = false;

  constructor(
    config: QueryConfig,
    values: unknown,
    callback: QueryCallback | undefined,
    private readonly client: TenantContextClient,
    private readonly settings: TenantSettings,
  ) {
    super(config, values, callback);
  }

  override submit(connection: WireConnection): Error | null {
    const decision = this.client.settingsDecision(this.settings);
    if (decision === 'refuse') return new TenantContextSwitchError();
    if (decision === 'send') {
      if (this.rows) return new Error('row-limited portals are not supported under a tenant scope');
      this.settingsPending = true;
      // Extended protocol even for statements without parameters: the settings and the statement share one Sync.
      this.queryMode = 'extended';
    }
    return super.submit(connection);
  }

  override prepare(connection: WireConnection): void {
    if (this.settingsPending) {
      const { tenantId, userId, role } = this.settings;
      // Parsed once per connection, with pg's own bookkeeping: submitted now, parsed at its ParseComplete.
      if (
        connection.parsedStatements[SET_SETTINGS_STATEMENT] === undefined &&
        connection.submittedNamedStatements[SET_SETTINGS_STATEMENT] === undefined
      ) {
        connection.parse({ text: SET_SETTINGS_SQL, name: SET_SETTINGS_STATEMENT, types: [] });
        connection.submittedNamedStatements[SET_SETTINGS_STATEMENT] = SET_SETTINGS_SQL;
      }
      connection.bind({ portal: '', statement: SET_SETTINGS_STATEMENT, values: [tenantId, userId, role] });
      connection.execute({ portal: '', rows: 0 });
    }
    super.prepare(connection);
  }

  override handleError(error: Error, connection: WireConnection): void {
    // Refused before its ParseComplete (Postgres skips the rest of a failed pipeline): not prepared, parse it next time.
    if (settingsStatementAwaited(connection)) delete connection.submittedNamedStatements[SET_SETTINGS_STATEMENT];
    super.handleError(error, connection);
  }

  override handleDataRow(message: unknown): void {
    if (this.settingsPending) return; // set_config's own result row: not the caller's
    super.handleDataRow(message);
  }

  override handleCommandComplete(message: unknown, connection: WireConnection): void {
    if (this.settingsPending) {
      this.settingsPending = false;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}

export class TenantContextClient extends pg.Client {
  /** Key of the settings the open transaction carries; null when none or no transaction. */
  private transactionSettings: string | null = null;
  private transactionStatus: 'I' | 'T' | 'E' = 'I';

  /** Whether a statement for `settings` must carry them, may go as is, or must be refused. */
  settingsDecision(settings: TenantSettings): 'send' | 'skip' | 'refuse' {
    if (this.transactionStatus === 'E') return 'skip'; // only ROLLBACK can succeed; let it through
    if (this.transactionStatus === 'T') {
      if (this.transactionSettings === settings.key) return 'skip';
      if (this.transactionSettings !== null) return 'refuse';
    }
    this.transactionSettings = settings.key;
    return 'send';
  }

  // Postgres reports the transaction status with every ReadyForQuery; 'I' means every local setting is gone.
  _handleReadyForQuery(message: { status?: string } | undefined): void {
    const status = message?.status;
    this.transactionStatus = status === 'T' || status === 'E' ? status : 'I';
    if (this.transactionStatus === 'I') this.transactionSettings = null;
    (pg.Client.prototype as unknown as { _handleReadyForQuery(m: unknown): void })._handleReadyForQuery.call(this, message);
  }

  // While the settings statement awaits its ParseComplete, the next one is its own (its Parse leads the
  // pipeline): pg would take it for the caller's statement and mark that one prepared before Postgres has parsed it.
  _handleParseComplete(): void {
    const { connection } = this as unknown as { connection: WireConnection };
    if (settingsStatementAwaited(connection)) {
      connection.parsedStatements[SET_SETTINGS_STATEMENT] = SET_SETTINGS_SQL;
      delete connection.submittedNamedStatements[SET_SETTINGS_STATEMENT];
      return;
    }
    (pg.Client.prototype as unknown as { _handleParseComplete(): void })._handleParseComplete.call(this);
  }

  override query(...args: unknown[]): never {
    const [config, values, callback] = args as [unknown, unknown, QueryCallback | undefined];
    const base = pg.Client.prototype.query as (...a: unknown[]) => never;
    if (config === null || typeof config !== 'object' && typeof config !== 'string') return base.apply(this, args);
    if (typeof (config as { submit?: unknown }).submit === 'function') return base.apply(this, args);
    const captured = typeof config === 'object' ? (config as QueryConfig)[CAPTURED] : undefined;
    const settings = captured !== undefined ? (captured as TenantSettings | null) : (tenantScope.getStore() ?? null);
    if (!settings) return base.apply(this, args);

    let done = typeof values === 'function' ? (values as QueryCallback) : callback;
    let result: Promise<unknown> | undefined;
    if (!done) {
      result = new Promise((resolve, reject) => {
        done = (error, value) => (error ? reject(error) : resolve(value));
      });
    }
    const text = typeof config === 'string' ? { text: config } : (config as QueryConfig);
    base.call(this, new ScopedQuery(text, typeof values === 'function' ? undefined : values, done, this, settings));
    return result as never;
  }
}

export class TenantContextPool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super({ ...config, Client: TenantContextClient } as pg.PoolConfig);
  }

  override query(...args: unknown[]): never {
    const [config, ...rest] = args;
    const base = pg.Pool.prototype.query as (...a: unknown[]) => never;
    if (typeof config !== 'string' && (config === null || typeof config !== 'object' || typeof (config as { submit?: unknown }).submit === 'function')) {
      return base.apply(this, args);
    }
    // Already scoped by its caller (scopedStatement): as it is.
    if (typeof config === 'object' && Object.prototype.hasOwnProperty.call(config, CAPTURED)) return base.apply(this, args);
    // Capture the scope now: the statement may be sent later, from whichever callback frees a connection.
    const settings = tenantScope.getStore() ?? null;
    const tagged = typeof config === 'string' ? { text: config, [CAPTURED]: settings } : { ...(config as QueryConfig), [CAPTURED]: settings };
    return base.call(this, tagged, ...rest);
  }
}
