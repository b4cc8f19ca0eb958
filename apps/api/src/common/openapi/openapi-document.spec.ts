import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { problem } from '../problem-details.js';
import { accessSentence, fallbackOperationId } from './openapi-document.js';
import { PROBLEM_DETAILS_SCHEMA } from './problem-responses.js';
import { namedResponseSchemas, schemaRef } from './response-schemas.js';

describe(fallbackOperationId.name, () => {
  it('makes a readable id from the controller and the method', () => {
    expect(fallbackOperationId('TenantLookupController', 'lookup')).toBe('tenantLookupLookup');
    expect(fallbackOperationId('SsoController', 'start')).toBe('ssoStart');
  });
});

describe(accessSentence.name, () => {
  it('says who may call', () => {
    expect(accessSentence({ public: true })).toBe('**Access:** public, no token.');
    expect(accessSentence({ public: false, roles: [], duringMfaEnrollment: false })).toContain('any signed-in user');
    expect(accessSentence({ public: false, roles: ['admin', 'member'], duringMfaEnrollment: true })).toBe(
      '**Access:** an access token of a tenant user with role `admin` or `member`. Also while the user still has to set up TOTP.',
    );
    expect(accessSentence({ public: false, roles: ['platform-admin'], duringMfaEnrollment: false })).toContain('operator');
  });

  it('says refused when a route declares no access (the guard refuses it)', () => {
    expect(accessSentence(undefined)).toContain('refused');
  });
});

describe(schemaRef.name, () => {
  it('publishes a zod schema under its name, open to new fields', () => {
    const sut = z.object({ a: z.string(), nested: z.object({ b: z.number() }) });
    expect(schemaRef('SpecExample', sut)).toEqual({ $ref: '#/components/schemas/SpecExample' });
    const published = namedResponseSchemas()['SpecExample'];
    expect(published).toMatchObject({ type: 'object', required: ['a', 'nested'] });
    expect(JSON.stringify(published)).not.toContain('additionalProperties');
  });

  it('refuses two different schemas under one name', () => {
    schemaRef('SpecTwice', z.object({}));
    expect(() => schemaRef('SpecTwice', z.object({ other: z.string() }))).toThrow('two response schemas are named SpecTwice');
  });
});

describe('ProblemDetails schema', () => {
  it('requires exactly what problem() always sends', () => {
    const sent = problem(404, 'tenant_not_found', 'The tenant does not exist.');
    expect(Object.keys(sent).sort()).toEqual([...PROBLEM_DETAILS_SCHEMA.required].sort());
    expect(sent.code).toMatch(new RegExp(PROBLEM_DETAILS_SCHEMA.properties.code.pattern));
  });
});
