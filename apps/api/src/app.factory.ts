/**
 * Builds the Nest application on Fastify with everything that is not a
 * bounded context: request ids, JSON logs, problem+json for every error
 * (including Fastify's own parsing errors and unknown routes) and OpenAPI. `main.ts` and the test suites both use it.
 */
import { randomUUID } from 'node:crypto';
import type { Server as TlsServer } from 'node:tls';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module.js';
import { TrustedIssuersService } from './auth/trusted-issuers.service.js';
import { CorsOriginPolicy, registerCors } from './common/cors.js';
import { PinoNestLogger, createLogger } from './common/logger.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { UnsupportedMediaTypeError } from './common/domain-error.js';
import { mapError } from './common/error-mapping.js';
import { setupOpenApi } from './common/openapi/openapi-document.js';
import { PROBLEM_CONTENT_TYPE, problem } from './common/problem-details.js';
import { reloadTlsPeriodically } from './common/tls-files.js';
import { refuseUnsafeInput } from './common/unsafe-input.hook.js';
import { registerSecurityHeaders, securityHeadersOf } from './common/security-headers.js';
import type { AppConfig } from './config/config.schema.js';
import { instrumentHttp, observeRegistry, routeTemplate } from './observability/http-instrumentation.js';
import { Metrics } from './observability/metrics.js';
import { Tracing } from './observability/tracing.js';
import { type RequestContextStore, requestContext } from './tenancy/request-context.js';

const REQUEST_ID_PATTERN = /^[\w.:-]{8,128}$/;

function requestHasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return (typeof length === 'string' && length !== '0') || headers['transfer-encoding'] !== undefined;
}

interface ContextCarrier {
  gatehouseContext: RequestContextStore | null;
}

export interface CreateAppOptions {
  /** Replace the logger (tests silence it). */
  readonly logger?: PinoLogger;
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.env.LOG_LEVEL);
  const adapter = new FastifyAdapter({
    // HTTPS only when a certificate is configured (the ALB → pod hop in AWS, issue 14 row 2).
    ...(config.tls ? { https: { cert: config.tls.cert, key: config.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    loggerInstance: logger,
    bodyLimit: config.env.BODY_LIMIT_BYTES,
    // The client address (rate limits, logs) is the right-most X-Forwarded-For hop that is not a
    // trusted proxy, and X-Forwarded-For is read only when the direct peer is one (proxy-addr).
    trustProxy: config.env.TRUSTED_PROXY_CIDRS.length > 0 ? [...config.env.TRUSTED_PROXY_CIDRS] : false,
    // Accept a caller's request id when it looks like one, so traces join up.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
    },
    // One log line per request, written below; `requestId` is the request id's only name in every log line.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // While draining at shutdown, a request that reached this replica on an open connection is
    // still served (with `Connection: close`), not refused: it was sent before the load balancer
    // stopped routing here, and a 503 would surface to its client as an error.
    return503OnClosing: false,
    // The router answers a malformed percent-encoded path (400) or a path parameter over
    // 100 characters (414) before any hook or filter runs; answer those as problems too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const requestId = String(request.id);
      const mapped = mapError(error, '', requestId);
      void reply
        .status(mapped.problem.status)
        .headers({ ...mapped.headers, 'x-request-id': requestId })
        .type(PROBLEM_CONTENT_TYPE)
        .send(mapped.problem);
    },
    // Errors Node's HTTP parser raises before Fastify has a request (headers too large,
    // malformed request line) are answered as problems too, then the socket is closed.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: import('node:net').Socket) => {
      if (!socket.writable) return;
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const status = tooLarge ? 431 : 400;
      // No request was parsed, so no request id either: make one, so this answer can be quoted too.
      const requestId = randomUUID();
      const body = JSON.stringify(
        problem(status, tooLarge ? 'headers_too_large' : 'bad_request', tooLarge ? 'The request headers are too large.' : 'The request is malformed.', {
          requestId,
        }),
      );
      socket.end(
        `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/problem+json\r\n` +
          `x-request-id: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
  });

  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  if (config.tls) {
    // cert-manager renews the mounted certificate; new connections get the new one without a restart.
    const stopReloading = reloadTlsPeriodically(app.getHttpServer() as unknown as TlsServer, config.tls, config.tls, (message) => logger.warn(message));
    fastify.addHook('onClose', async () => stopReloading());
  }
  // The request context lives for the whole request, hooks and handler alike; the request keeps a
  // reference so that the request line (written after the response, outside that context) can read it.
  fastify.decorateRequest('gatehouseContext', null);
  fastify.addHook('onRequest', (request, _reply, done) => {
    // request.ip already applies TRUSTED_PROXY_CIDRS (trustProxy above): the audit log records this address.
    const store: RequestContextStore = { requestId: String(request.id), clientAddress: request.ip };
    (request as unknown as ContextCarrier).gatehouseContext = store;
    requestContext.run(store, done);
  });
  // Preflights are answered before anything else reads the request (they carry no body and no token).
  const issuers = app.get(TrustedIssuersService);
  registerCors(
    fastify,
    new CorsOriginPolicy({
      configured: config.env.CORS_ALLOWED_ORIGINS,
      registry: () => issuers.registry,
      publicBaseDomain: config.env.PUBLIC_BASE_DOMAIN,
    }),
  );
  // Every body this API accepts is JSON. Fastify would also parse text/plain (and Nest
  // form bodies) into values that only fail later as a confusing validation error.
  // Callback-style hooks here and below: they run on every request, and each async hook costs promises.
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!requestHasBody(request.headers)) {
      done();
      return;
    }
    const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
    done(mediaType !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(mediaType) ? new UnsupportedMediaTypeError() : undefined);
  });
  // NUL characters, unpaired surrogates and broken query encoding: 400 before any guard or handler.
  fastify.addHook('preValidation', refuseUnsafeInput);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', String(request.id));
    done(null, payload);
  });
  // The request line names the route template, never the URL: query strings carry e-mail
  // addresses (tenant lookup) and paths carry whatever a client sends.
  fastify.addHook('onResponse', (request, reply, done) => {
    const store = (request as unknown as ContextCarrier).gatehouseContext;
    logger.info(
      {
        requestId: String(request.id),
        method: request.method,
        route: routeTemplate(request),
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime),
        tenantId: store?.auth?.tenantId ?? null,
        userId: store?.auth?.userId ?? store?.operator?.subject ?? null,
      },
      'request completed',
    );
    done();
  });
  instrumentHttp(fastify, { metrics: config.env.METRICS_PORT !== undefined ? app.get(Metrics) : undefined, tracing: app.get(Tracing) });
  observeRegistry(app.get(Metrics), app.get(TrustedIssuersService));
  // Security headers on every response, errors included. The policy allows what Swagger UI at
  // /docs needs (its own scripts and styles, inline styles, data: images) and nothing else.
  registerSecurityHeaders(
    fastify,
    securityHeadersOf({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  );
  // Nest installs Fastify's error and not-found handlers and routes them through
  // the global filters, so body-parsing errors and unknown routes are problems too.
  app.useGlobalFilters(new ProblemDetailsFilter());

  if (config.openApiDocs) setupOpenApi(app);
  return app;
}
