/**
 * Success responses in the OpenAPI document, typed from the same zod schemas the code
 * uses. A named response schema becomes `components.schemas.<Name>`, so generated
 * clients get a type with that name (`components['schemas']['TenantLookup']`) instead
 * of an anonymous inline shape. To add fields to a response, add them to its zod schema.
 */
import { ApiResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { openApiSchema } from '../zod-validation.js';

const named = new Map<string, z.ZodType>();

const SUCCESS: Readonly<Record<number, string>> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };

/** Registers `schema` as `components.schemas.<name>` (once; a second, different schema under one name is a bug). */
export function schemaRef(name: string, schema: z.ZodType): { $ref: string } {
  const known = named.get(name);
  if (known !== undefined && known !== schema) throw new Error(`two response schemas are named ${name}`);
  named.set(name, schema);
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * Responses may gain fields (that is how the API evolves without a new version), so their
 * schemas never say `additionalProperties: false`: a client must ignore fields it does not know.
 */
function openToNewFields(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openToNewFields);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'additionalProperties' && value === false))
      .map(([key, value]) => [key, openToNewFields(value)]),
  );
}

/** The registered schemas, as the document's `components.schemas` (JSON Schema of what the API sends). */
export function namedResponseSchemas(): Record<string, unknown> {
  return Object.fromEntries([...named].map(([name, schema]) => [name, openToNewFields(openApiSchema(schema, 'output'))]));
}

/** A JSON success response whose body is `schema`, published as `components.schemas.<name>`. */
export const ApiZodResponse = (status: number, name: string, schema: z.ZodType, description = SUCCESS[status] ?? 'Success'): MethodDecorator =>
  ApiResponse({ status, description, schema: schemaRef(name, schema) });
