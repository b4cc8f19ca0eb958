/**
 * The OpenAPI 3.1 document of the API, built from the controllers' decorators, and
 * Swagger UI at `/docs`. It is written for client generators (openapi-typescript,
 * openapi-fetch, Swagger UI) and linted clean with Redocly's recommended ruleset and
 * Spectral's `spectral:oas` (`redocly.yaml`, `.spectral.yaml`, checked in `npm test`).
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { withEventWebhooks } from '../../events/openapi-webhooks.js';
import { PROBLEM_DETAILS_SCHEMA, PROBLEM_DETAILS_SCHEMA_NAME, problemResponseObject } from './problem-responses.js';
import { namedResponseSchemas } from './response-schemas.js';

export const BEARER_SCHEME = 'bearer';

/** Who may call an operation, as the access decorators declare it; the document lists it in each operation's description. */
export const ACCESS_EXTENSION = 'x-gatehouse-access';
export type DocumentedAccess =
  | { readonly public: true }
  | { readonly public: false; readonly roles: readonly string[]; readonly duringMfaEnrollment: boolean };

/** Every tag the controllers use, with what it groups. A tag missing here fails the OpenAPI lint test. */
export const OPENAPI_TAGS: readonly { readonly name: string; readonly description: string }[] = [
  { name: 'tenants', description: 'Public tenant routing: which tenant a host, an e-mail address or a slug belongs to, and how to sign in to it.' },
  { name: 'auth', description: 'Sign-up, sign-in with every challenge (new password, TOTP set-up, TOTP), token refresh, sign-out and password reset for a tenant’s users.' },
  { name: 'me', description: 'The signed-in user’s own account: who they are, their password, TOTP MFA.' },
  { name: 'projects', description: 'The sample tenant-owned domain (projects and tasks); row-level security keeps each tenant’s rows apart.' },
  { name: 'users', description: 'A tenant admin’s user management, inside their own tenant.' },
  { name: 'tenant settings', description: 'A tenant admin’s settings: who may sign up, and the tenant’s e-mail domains with their DNS verification.' },
  { name: 'hooks', description: 'A tenant admin’s synchronous hooks (pre sign-up, post confirmation, pre authentication, token enrichment), signed with Standard Webhooks.' },
  { name: 'audit', description: 'A tenant admin’s view of their tenant’s audit log, and its NDJSON/CSV export.' },
  { name: 'webhooks', description: 'A tenant admin’s webhook endpoints: subscriptions to their tenant’s lifecycle events, the delivery log, replay and secret rotation.' },
  { name: 'events', description: 'The lifecycle events Gatehouse POSTs to subscribed webhook endpoints (the document’s `webhooks` section), signed per Standard Webhooks.' },
  { name: 'admin: sign-in', description: 'Platform operators’ sign-in (operators’ pool, TOTP always required).' },
  { name: 'admin: tenants', description: 'Operators’ tenant management: provisioning, lifecycle, host names, e-mail domains, identity providers, Cognito capacity.' },
  { name: 'admin: hooks', description: 'Operators’ platform-default synchronous hooks, for tenants without their own.' },
  { name: 'admin: webhooks', description: 'Operators’ platform-wide webhook endpoints: every tenant’s events and platform events.' },
  { name: 'internal', description: 'Routes for Gatehouse’s own components (the Cognito trigger Lambda), authenticated by a signed request, not a token.' },
  { name: 'admin: audit', description: 'Operators’ view of the platform audit log, every tenant’s and platform-wide events, and its export.' },
  { name: 'health', description: 'Liveness and readiness probes for the orchestrator.' },
];

const BEARER_DESCRIPTION =
  'Cognito access token (`token_use: access`) of the tenant’s user pool: the `accessToken` of `POST /v1/auth/sign-in`, or the ' +
  '`AccessToken` Cognito returns when signing in there directly. ID tokens are refused (401 `wrong_token_use`); send the access token. ' +
  'A tenant that trusts its own OpenID Connect provider may send that provider’s access token instead; operators send a Cognito access ' +
  'token of the operators’ pool. As `Authorization: Bearer <token>`.';

/**
 * Readable, unique operation ids for routes that do not name their own
 * (`@ApiOperation({ operationId })`): `TenantLookupController.lookup` → `tenantLookupLookup`.
 */
export function fallbackOperationId(controllerKey: string, methodKey: string): string {
  const controller = controllerKey.replace(/Controller$/, '');
  return `${controller.charAt(0).toLowerCase()}${controller.slice(1)}${methodKey.charAt(0).toUpperCase()}${methodKey.slice(1)}`;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface OperationObject {
  summary?: string;
  description?: string;
  security?: unknown[];
  responses?: Record<string, Record<string, unknown>>;
  [ACCESS_EXTENSION]?: DocumentedAccess;
}

const roleList = (roles: readonly string[]) => roles.map((role) => `\`${role}\``).join(' or ');

/** One sentence on who may call, for people reading `/docs` (the guard decides; this only reports). */
export function accessSentence(access: DocumentedAccess | undefined): string {
  if (access === undefined) return '**Access:** refused: this route declares no access.';
  if (access.public) return '**Access:** public, no token.';
  const who =
    access.roles.length === 0
      ? 'an access token of any signed-in user of the tenant'
      : access.roles.includes('platform-admin')
        ? 'an operator’s access token (`platform-admin`, operators’ pool)'
        : `an access token of a tenant user with role ${roleList(access.roles)}`;
  return `**Access:** ${who}.${access.duringMfaEnrollment ? ' Also while the user still has to set up TOTP.' : ''}`;
}

/**
 * What the decorators cannot say directly: a public route gets `security: []` (no token;
 * `@Authenticated()` adds the bearer requirement itself), every
 * description ends with who may call, and an error response declared without a body (a
 * plain `@ApiResponse`) is still problem+json.
 */
function completeOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, OperationObject | undefined>)[method];
      if (!operation) continue;
      const declared = operation[ACCESS_EXTENSION];
      // Only a route declared `@Public()` is documented as open; one that declares nothing is
      // refused by the guard, and its missing security requirement fails the lint test.
      if (declared?.public) operation.security ??= [];
      // A controller and its route may both say `@Authenticated()`: one requirement is enough.
      if (operation.security) operation.security = [...new Map(operation.security.map((requirement) => [JSON.stringify(requirement), requirement])).values()];
      const access = accessSentence(declared);
      operation.description = operation.description ? `${operation.description}\n\n${access}` : access;
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (/^[45]\d\d$/.test(status) && response['content'] === undefined) {
          Object.assign(response, problemResponseObject(String(response['description'] ?? ''), Number(status)));
        }
      }
    }
  }
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Gatehouse API')
    .setDescription(
      'Multi-tenant identity and access on Amazon Cognito. Call it with a Cognito **access token** (ID tokens are refused). ' +
        'Every error is RFC 9457 `application/problem+json` (`ProblemDetails`) with a stable `code`; a dependency that is down answers 503 with `Retry-After`.',
    )
    .setVersion('0.1.0')
    .setContact('Gatehouse maintainers', 'https://gatehouse.dev', 'maintainers@gatehouse.dev')
    .setLicense('Proprietary', 'https://gatehouse.dev/license')
    .addServer('/', 'The deployment that serves this document (Swagger UI calls the origin it was loaded from).')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_DESCRIPTION }, BEARER_SCHEME);
  for (const tag of OPENAPI_TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build(), { operationIdFactory: fallbackOperationId });
  document.components ??= {};
  // JSON Schema 2020-12 objects (OpenAPI 3.1), wider than Nest's 3.0-shaped SchemaObject type.
  const schemas: Record<string, unknown> = { ...document.components.schemas, [PROBLEM_DETAILS_SCHEMA_NAME]: PROBLEM_DETAILS_SCHEMA, ...namedResponseSchemas() };
  document.components.schemas = schemas as NonNullable<typeof document.components.schemas>;
  completeOperations(document);
  return withEventWebhooks(document);
}

/** Serves Swagger UI at `/docs`, the document at `/openapi.json` and `/openapi.yaml`. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    // The token entered under "Authorize" survives a reload (Swagger UI keeps it in localStorage).
    swaggerOptions: { persistAuthorization: true },
  });
}
