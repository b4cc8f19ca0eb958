/**
 * Builds the Nest application on Fastify with everything that is not a
 * bounded context: request ids, JSON logs, problem+json for every error
 * (including Fastify's own parsing errors and unknown routes) and OpenAPI. `main.ts` and the test suites both use it.
 */
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module.js';
import { PinoNestLogger, createLogger } from './common/logger.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { UnsupportedMediaTypeError } from './common/domain-error.js';
import { mapError } from './common/error-mapping.js';
import { PROBLEM_CONTENT_TYPE, problem } from './common/problem-details.js';
import { refuseUnsafeInput } from './common/unsafe-input.hook.js';
import type { AppConfig } from './config/config.schema.js';
import { requestContext } from './tenancy/request-context.js';

const REQUEST_ID_PATTERN = /^[\w.:-]{8,128}$/;

function requestHasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return (typeof length === 'string' && length !== '0') || headers['transfer-encoding'] !== undefined;
}

export interface CreateAppOptions {
  /** Replace the logger (tests silence it). */
  readonly logger?: PinoLogger;
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.env.LOG_LEVEL);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.env.BODY_LIMIT_BYTES,
    trustProxy: config.env.TRUST_PROXY,
    // Accept a caller's request id when it looks like one, so traces join up.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
    },
    // One log line per request, written below with the request id from the context.
    disableRequestLogging: true,
    return503OnClosing: true,
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
  // The request context lives for the whole request, hooks and handler alike.
  fastify.addHook('onRequest', (request, _reply, done) => {
    requestContext.run({ requestId: String(request.id) }, done);
  });
  // Every body this API accepts is JSON. Fastify would also parse text/plain (and Nest
  // form bodies) into values that only fail later as a confusing validation error.
  fastify.addHook('onRequest', async (request) => {
    if (!requestHasBody(request.headers)) return;
    const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(mediaType)) {
      throw new UnsupportedMediaTypeError();
    }
  });
  // NUL characters, unpaired surrogates and broken query encoding: 400 before any guard or handler.
  fastify.addHook('preValidation', refuseUnsafeInput);
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', String(request.id));
  });
  fastify.addHook('onResponse', async (request, reply) => {
    logger.info(
      { requestId: String(request.id), method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });
  // Nest installs Fastify's error and not-found handlers and routes them through
  // the global filters, so body-parsing errors and unknown routes are problems too.
  app.useGlobalFilters(new ProblemDetailsFilter());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse API')
      .setDescription(
        'Multi-tenant identity and access on Amazon Cognito. Errors are RFC 9457 application/problem+json with a stable `code`.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });

  return app;
}
