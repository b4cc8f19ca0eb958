/**
 * Request and response types. Bodies come from the generated OpenAPI types
 * (`generated/openapi.ts`) by path, so a changed DTO changes them; the tenant
 * lookup is written out here because its document entry is not typed yet.
 */
import type { paths } from './generated/openapi.js';

type JsonBody<T> = T extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type JsonOk<T> = T extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : never;

export type SignUpRequest = JsonBody<paths['/v1/auth/sign-up']['post']>;
export type ConfirmSignUpRequest = JsonBody<paths['/v1/auth/confirm-sign-up']['post']>;
export type SignInRequest = JsonBody<paths['/v1/auth/sign-in']['post']>;
export type SignInResult = JsonOk<paths['/v1/auth/sign-in']['post']>;
export type ChallengeRequest = JsonBody<paths['/v1/auth/challenge']['post']>;
export type TokenSet = JsonOk<paths['/v1/auth/refresh']['post']>;
export type ChallengeName = ChallengeRequest['challenge'];

/** A front-channel SSO option from tenant lookup: authorization code + PKCE against `authorizationEndpoint`. */
export interface SsoOption {
  readonly kind: string;
  readonly clientId: string;
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly scopes: readonly string[];
  /** `oidc`: the tenant's own provider, whose access tokens the API accepts as bearer. */
  readonly issuer?: string;
  /** Shown on a button. */
  readonly name?: string;
  /** Cognito hosted UI: the `identity_provider` parameter. */
  readonly identityProvider?: string;
}

/** `GET /v1/tenants/lookup`: everything a front end needs to sign a tenant's users in. */
export interface TenantLookup {
  readonly tenant: { readonly slug: string; readonly name: string; readonly tier: string; readonly model: 'pool' | 'bridge' | 'silo' };
  readonly cognito: {
    readonly region: string;
    readonly userPoolId: string;
    readonly clientId: string | null;
    readonly issuer: string;
    readonly authFlows: readonly string[];
    readonly endpoint?: string;
  };
  readonly identityProviders: readonly { readonly issuer: string }[];
  readonly sso?: readonly SsoOption[];
}

export type TenantQuery = { readonly host: string } | { readonly email: string } | { readonly slug: string };
