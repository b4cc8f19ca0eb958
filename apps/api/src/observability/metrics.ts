/**
 * Prometheus metrics (prom-client). One {@link Registry} per application
 * instance, never prom-client's global one, so that several apps in one process
 * (tests, the bench) keep their numbers apart. Every label has a small, fixed
 * set of values: route templates (never raw URLs), error codes, operation names.
 *
 * Gauges that mirror state (registry size, database pool) are read when
 * scraped, through {@link Metrics.observeGauge}, so the hot path pays nothing.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const PROVISIONING_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /**
   * Valid verifications not yet added to {@link tokenVerifications}. Every request
   * with a token adds one, and prom-client's labelled `inc` hashes and validates its
   * labels on each call (a few percent of a whole verification): the hot path adds
   * to a number, and a scrape moves the sum into the counter before reading it.
   */
  private validTokenVerificationsPending = 0;
  readonly tokenVerifications: Counter<'outcome'> = new Counter({
    name: 'gatehouse_token_verifications_total',
    help: 'Bearer token verifications by outcome: "valid" or the 401/503 error code.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
    collect: () => this.flushValidTokenVerifications(),
  });
  readonly jwksFetches = new Counter({
    name: 'gatehouse_jwks_fetches_total',
    help: 'JWKS fetches by outcome (success, failure).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly provisioningRuns = new Counter({
    name: 'gatehouse_provisioning_runs_total',
    help: 'Provisioning and teardown runs that ended, by outcome (active, deleted, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly provisioningDuration = new Histogram({
    name: 'gatehouse_provisioning_duration_seconds',
    help: 'Duration of provisioning runs that ended, from the first step, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: PROVISIONING_BUCKETS,
    registers: [this.registry],
  });
  readonly cognitoCalls = new Counter({
    name: 'gatehouse_cognito_calls_total',
    help: 'Calls to Cognito by operation and outcome ("ok" or the AWS error name).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly cognitoDuration = new Histogram({
    name: 'gatehouse_cognito_call_duration_seconds',
    help: 'Cognito call latency (including the SDK retries) by operation.',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rateLimitRefusals = new Counter({
    name: 'gatehouse_rate_limit_refusals_total',
    help: 'Requests refused with 429, by limit.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly rateLimitStoreFallbacks = new Counter({
    name: 'gatehouse_rate_limit_store_fallbacks_total',
    help: 'Rate-limit decisions taken by the in-memory fallback because the shared store failed or was slow.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }

  /** One more valid token verification (refusals, rarer, go to {@link tokenVerifications} directly). */
  countValidTokenVerification(): void {
    this.validTokenVerificationsPending += 1;
  }

  private flushValidTokenVerifications(): void {
    if (this.validTokenVerificationsPending === 0) return;
    this.tokenVerifications.inc({ outcome: 'valid' }, this.validTokenVerificationsPending);
    this.validTokenVerificationsPending = 0;
  }

  /** A gauge whose values are read at scrape time. */
  observeGauge(name: string, help: string, labelNames: readonly string[], read: (set: (labels: Record<string, string>, value: number) => void) => void): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        read((labels, value) => this.set(labels, value));
      },
    });
  }

  /** Counts an AWS/Cognito error under a bounded label: AWS error names are a fixed set. */
  static errorName(error: unknown): string {
    const name = (error as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' && /^[A-Za-z]{1,64}$/.test(name) ? name : 'Error';
  }
}
