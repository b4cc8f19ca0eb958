/**
 * Request validation with zod schemas: one schema gives the runtime check
 * (400 `validation_failed` listing every problem) and the OpenAPI schema.
 */
import { applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { ValidationFailedError } from './domain-error.js';

export class ZodValidationPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value ?? {});
    if (!result.success) {
      throw new ValidationFailedError(
        result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message })),
      );
    }
    return result.data;
  }
}

/**
 * JSON Schema (2020-12, the dialect of OpenAPI 3.1) of a zod schema: by default as the
 * input a client sends; `output` for what the API answers (defaults applied, so required).
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return jsonSchema;
}

export const ApiZodBody = (schema: z.ZodType, description?: string) =>
  ApiBody({ schema: openApiSchema(schema), ...(description ? { description } : {}) });

/** Documents each property of an object schema as a query parameter. */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const properties = (openApiSchema(schema)['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  return applyDecorators(
    ...Object.entries(properties).map(([name, property]) => ApiQuery({ name, required: false, schema: property })),
  );
}

/** Validates one path parameter, naming it in the 400 problem. */
export class ZodParamPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(
    private readonly name: string,
    private readonly schema: T,
  ) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw new ValidationFailedError(result.error.issues.map((issue) => ({ path: this.name, message: issue.message })));
    }
    return result.data;
  }
}
