/**
 * OpenTelemetry tracing, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 *
 * When on: a server span per request, continuing the caller's W3C
 * `traceparent`; child spans for the access guard, every SQL statement on the
 * application role's pool and every Cognito call (whose HTTP request carries
 * `traceparent` onward); batches exported over OTLP/HTTP (JSON) to
 * `<endpoint>/v1/traces`.
 *
 * When off, nothing is installed: no Fastify hook, no guard wrapper, no pool
 * or SDK middleware, so requests allocate nothing for tracing. Spans are never
 * named or labelled with raw URLs, bodies or e-mail addresses: route templates
 * and operation names only.
 *
 * Each application instance has its own tracer provider (tests run several in
 * one process); the context manager (AsyncLocalStorage) is the process-wide one
 * OpenTelemetry's API expects, registered on first use.
 */
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

let contextManagerRegistered = false;

function registerContextManager(): void {
  if (contextManagerRegistered) return;
  // false when another one is already registered (e.g. by an OpenTelemetry Node SDK): use that one.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerRegistered = true;
}

export interface TracingOptions {
  readonly endpoint: string | undefined;
  readonly serviceName: string;
}

export class Tracing {
  readonly enabled: boolean;
  private readonly provider: BasicTracerProvider | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(options: TracingOptions) {
    this.enabled = options.endpoint !== undefined;
    if (!options.endpoint) return;
    registerContextManager();
    const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: 5_000 });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    this.tracer = this.provider.getTracer('gatehouse-api');
  }

  /** The server span of a request, continuing the caller's `traceparent` when it sent a valid one. */
  startServerSpan(name: string, headers: Record<string, string | string[] | undefined>, attributes: Attributes): { span: Span; context: Context } | undefined {
    if (!this.tracer) return undefined;
    const parent = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    return { span, context: trace.setSpan(parent, span) };
  }

  /** A child of the active span (or a root span), or undefined when tracing is off. */
  startSpan(name: string, kind: SpanKind, attributes: Attributes = {}): Span | undefined {
    return this.tracer?.startSpan(name, { kind, attributes }, context.active());
  }

  /** Runs `work` inside a child span of the active one; the span records the error when `work` throws. */
  async inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, work: () => Promise<T>): Promise<T> {
    const span = this.startSpan(name, kind, attributes);
    if (!span) return work();
    try {
      return await context.with(trace.setSpan(context.active(), span), work);
    } catch (error) {
      Tracing.recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** Adds the active span's `traceparent` to outgoing request headers. */
  inject(headers: Record<string, string>): void {
    if (this.tracer) this.propagator.inject(context.active(), headers, defaultTextMapSetter);
  }

  static recordError(span: Span, error: unknown): void {
    const code = (error as { code?: unknown } | undefined)?.code;
    const name = (error as { name?: unknown } | undefined)?.name;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : typeof name === 'string' ? name : 'error' });
  }

  /** Exports what is buffered now (tests, and before a planned stop). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Exports what is buffered and stops (application shutdown). */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}
