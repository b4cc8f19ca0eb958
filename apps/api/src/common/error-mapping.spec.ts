import { BadRequestException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationFailedError } from './domain-error.js';
import { mapError } from './error-mapping.js';

describe(mapError.name, () => {
  it('keeps a domain error’s status, code and extensions', () => {
    const sut = mapError(new ValidationFailedError([{ path: 'name', message: 'Required' }]), '/v1/projects', 'req-1');
    expect(sut.unexpected).toBe(false);
    expect(sut.problem).toMatchObject({
      status: 400,
      code: 'validation_failed',
      type: 'https://gatehouse.dev/problems/validation_failed',
      instance: '/v1/projects',
      requestId: 'req-1',
      errors: [{ path: 'name', message: 'Required' }],
    });
  });

  it('maps Nest’s unknown-route 404 to route_not_found', () => {
    const sut = mapError(new NotFoundException('Cannot GET /nope'), '/nope', undefined);
    expect(sut.problem).toMatchObject({ status: 404, code: 'route_not_found' });
  });

  it('maps Fastify’s parsing errors by code', () => {
    expect(mapError(Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), '/', undefined).problem).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect(mapError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 }), '/', undefined).problem).toMatchObject({
      status: 400,
      code: 'malformed_json',
    });
  });

  it('hides the internals of unexpected errors', () => {
    const sut = mapError(new Error('connection string postgres://secret'), '/', 'req-2');
    expect(sut.unexpected).toBe(true);
    expect(sut.problem.status).toBe(500);
    expect(sut.problem.code).toBe('internal_error');
    expect(JSON.stringify(sut.problem)).not.toContain('secret');
  });

  it('keeps a 4xx HttpException’s message and derives its code from the status', () => {
    expect(mapError(new BadRequestException('bad header'), '/', undefined).problem).toMatchObject({
      status: 400,
      code: 'bad_request',
      detail: 'bad header',
    });
    expect(mapError(new ConflictError('slug_taken', 'taken'), '/', undefined).problem.status).toBe(409);
  });
});

describe('database outages', () => {
  // The shapes Prisma 7's pg adapter produces: a driver error with SQLSTATE, an adapter error kind, a socket error.
  const adminShutdown = Object.assign(new Error('\nInvalid `prisma.tenant.findMany()` invocation:\n\nterminating connection due to administrator command'), {
    code: 'P2010',
    meta: { driverAdapterError: { cause: { originalCode: '57P01', kind: 'postgres', code: '57P01' } } },
  });
  const startingUp = Object.assign(new Error('the database system is starting up'), { cause: { code: '57P03' } });
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { cause: { kind: 'DatabaseNotReachable' } });
  // Every pool connection busy for longer than the transaction's maxWait (50 tenants created at once in the bench).
  const noTransactionInTime = Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), {
    code: 'P2028',
  });

  it.each([
    ['57P01 admin shutdown', adminShutdown],
    ['57P03 starting up', startingUp],
    ['connection refused', refused],
    ['no transaction within maxWait', noTransactionInTime],
  ])('maps %s to 503 database_unavailable with Retry-After and a one-line notice', (_name, error) => {
    const sut = mapError(error, '/v1/projects', 'req-1');
    expect(sut.problem).toMatchObject({ status: 503, code: 'database_unavailable' });
    expect(Number(sut.headers['retry-after'])).toBeGreaterThan(0);
    expect(sut.unexpected).toBe(false);
    expect(sut.notice).not.toContain('\n');
  });

  it('keeps other database errors unexpected (500, logged with a stack)', () => {
    const sut = mapError(Object.assign(new Error('syntax error'), { cause: { code: '42601' } }), '/', undefined);
    expect(sut.problem.status).toBe(500);
    expect(sut.unexpected).toBe(true);
  });
});
