/**
 * Identity providers federated THROUGH COGNITO (issue 13, item 5, bullets 2–3):
 * SAML, OIDC, Google, Facebook, Sign in with Apple and Login with Amazon,
 * attached to a silo tenant's own pool, or to a bridge tenant's own app client
 * in its tier's pool. (A tenant's own OIDC provider trusted for bearer tokens
 * directly is another thing: tenants.service identity-providers.)
 *
 * Pure rules, no I/O:
 * - {@link federatedProviderSchema}: what an operator may submit, per type;
 * - {@link checkAttributeMapping}: mapped attributes may only be the standard
 *   profile attributes app clients may write — never `custom:tenant*`, never a
 *   role, never `sub`/`email_verified`/`cognito:*` — and must map `email`
 *   (Gatehouse mirrors users by e-mail);
 * - {@link assertFederationAvailable}: the pool model cannot have it;
 * - {@link publicProviderView}: what may be shown back (never a secret).
 */
import { z } from 'zod';
import { CLIENT_WRITABLE_ATTRIBUTES, type IsolationModel } from '@gatehouse/tiers';
import { OutboundUrlRefused, checkUrlShape } from '../../auth/outbound-url.js';
import { ConflictError, type FieldProblem, ValidationFailedError } from '../../common/domain-error.js';

export const FEDERATED_PROVIDER_TYPES = ['SAML', 'OIDC', 'Google', 'Facebook', 'SignInWithApple', 'LoginWithAmazon'] as const;
export type FederatedProviderType = (typeof FEDERATED_PROVIDER_TYPES)[number];

/** Cognito requires social providers to be named after their type. */
export const SOCIAL_PROVIDER_TYPES = ['Google', 'Facebook', 'SignInWithApple', 'LoginWithAmazon'] as const;

/**
 * SAML / OIDC provider names: letters, digits and hyphens, at most 32 (Cognito's limit). No `_`: Cognito names a
 * federated user `<provider>_<subject>`, and the pre sign-up trigger reads the provider back from that.
 */
export const PROVIDER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;

/** Roles a federated user may get by default: never `admin` (promote them in Gatehouse afterwards). */
export const FEDERATED_DEFAULT_ROLES = ['member', 'viewer'] as const;

/** Cognito attribute ← IdP attribute. The targets allowed are exactly what the tenant's public client may write. */
export const MAPPABLE_ATTRIBUTES: readonly string[] = CLIENT_WRITABLE_ATTRIBUTES;

const secret = z.string().min(1).max(4096);
const clientId = z.string().trim().min(1).max(256);
const scopes = z.array(z.string().trim().regex(/^[\x21-\x7e]+$/, 'must be a scope token').max(128)).min(1).max(25);
const attributeMapping = z.record(z.string().min(1).max(64), z.string().min(1).max(256));

const common = {
  /** Shown on the sign-in button. */
  displayName: z.string().trim().min(1).max(64),
  attributeMapping,
  defaultRole: z.enum(FEDERATED_DEFAULT_ROLES).default('member'),
};

export const federatedProviderSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('SAML'),
      name: z.string().regex(PROVIDER_NAME_PATTERN, 'letters, digits and hyphens, at most 32'),
      metadataUrl: z.string().max(2048).optional(),
      metadataDocument: z.string().max(100_000).optional(),
      /** Sign the user out of the IdP too (SAML single logout). */
      idpSignOut: z.boolean().default(false),
      ...common,
    })
    .strict()
    .refine((value) => (value.metadataUrl === undefined) !== (value.metadataDocument === undefined), 'give exactly one of metadataUrl, metadataDocument'),
  z
    .object({
      type: z.literal('OIDC'),
      name: z.string().regex(PROVIDER_NAME_PATTERN, 'letters, digits and hyphens, at most 32'),
      issuer: z.string().max(2048),
      clientId,
      clientSecret: secret,
      scopes: scopes.default(['openid', 'email', 'profile']),
      attributesRequestMethod: z.enum(['GET', 'POST']).default('GET'),
      ...common,
    })
    .strict(),
  z.object({ type: z.literal('Google'), clientId, clientSecret: secret, scopes: scopes.default(['openid', 'email', 'profile']), ...common }).strict(),
  z.object({ type: z.literal('Facebook'), clientId, clientSecret: secret, scopes: scopes.default(['public_profile', 'email']), ...common }).strict(),
  z.object({ type: z.literal('LoginWithAmazon'), clientId, clientSecret: secret, scopes: scopes.default(['profile']), ...common }).strict(),
  z
    .object({
      type: z.literal('SignInWithApple'),
      /** The Services ID. */
      clientId,
      teamId: z.string().trim().regex(/^[A-Z0-9]{10}$/, 'a 10-character Apple team id'),
      keyId: z.string().trim().regex(/^[A-Z0-9]{10}$/, 'a 10-character Apple key id'),
      privateKey: secret,
      scopes: scopes.default(['email', 'name']),
      ...common,
    })
    .strict(),
]);
export type FederatedProviderInput = z.infer<typeof federatedProviderSchema>;

/** Cognito's provider name: the type for social providers, the operator's name for SAML / OIDC. */
export function providerName(provider: FederatedProviderInput): string {
  return provider.type === 'SAML' || provider.type === 'OIDC' ? provider.name : provider.type;
}

const TENANT_OR_ROLE_ATTRIBUTE = /^custom:(tenant|role)/i;

/**
 * Every problem with an attribute mapping (empty: fine). The targets are an allow-list, so a new tenant- or
 * role-bearing attribute added to the pools later is refused without anyone remembering to list it here.
 */
export function attributeMappingProblems(mapping: Readonly<Record<string, string>>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const target of Object.keys(mapping)) {
    const path = `attributeMapping.${target}`;
    if (TENANT_OR_ROLE_ATTRIBUTE.test(target)) {
      problems.push({ path, message: 'tenant and role attributes are set by Gatehouse, never by an identity provider' });
    } else if (!MAPPABLE_ATTRIBUTES.includes(target)) {
      problems.push({ path, message: `may map only ${MAPPABLE_ATTRIBUTES.join(', ')}` });
    }
  }
  if (!Object.hasOwn(mapping, 'email')) problems.push({ path: 'attributeMapping.email', message: 'must map the e-mail (users are kept by e-mail)' });
  return problems;
}

/** URLs Cognito (not Gatehouse) fetches: https, no credentials, no internal addresses — in every mode. */
function urlProblems(provider: FederatedProviderInput): FieldProblem[] {
  const urls: [string, string | undefined][] =
    provider.type === 'SAML' ? [['metadataUrl', provider.metadataUrl]] : provider.type === 'OIDC' ? [['issuer', provider.issuer]] : [];
  const problems: FieldProblem[] = [];
  for (const [path, url] of urls) {
    if (url === undefined) continue;
    try {
      checkUrlShape(url, { allowPrivateAddresses: false });
    } catch (error) {
      if (!(error instanceof OutboundUrlRefused)) throw error;
      problems.push({ path, message: error.message });
    }
  }
  if (provider.type === 'SAML' && provider.metadataDocument !== undefined && !/^\s*<(\?xml|([\w-]+:)?EntityDescriptor)/.test(provider.metadataDocument)) {
    problems.push({ path: 'metadataDocument', message: 'must be SAML metadata XML (an EntityDescriptor)' });
  }
  return problems;
}

/** 400 `validation_failed` listing every problem; the detail says which rule refused the mapping. */
export function checkFederatedProvider(provider: FederatedProviderInput): FederatedProviderInput {
  const mapping = attributeMappingProblems(provider.attributeMapping);
  const problems = [...mapping, ...urlProblems(provider)];
  if (problems.length > 0) {
    throw new ValidationFailedError(problems, mapping.length > 0 ? 'The attribute mapping is not allowed.' : 'The identity provider is not valid.');
  }
  return provider;
}

/**
 * A shared pool (pool model) has one app client for every tenant of its tier: a provider attached to it would
 * let anyone who signs in there into every tenant of the pool, and the users it creates would carry no tenant.
 */
export function assertFederationAvailable(model: IsolationModel): void {
  if (model === 'pool') {
    throw new ConflictError(
      'federation_not_available_in_pool_model',
      'A shared pool cannot isolate one tenant’s SAML, OIDC or social sign-in; move the tenant to a bridge or silo tier first.',
    );
  }
}

/** What an API answer may show: no client secret, no private key. */
export function publicProviderView(provider: FederatedProviderInput): Record<string, unknown> {
  const view: Record<string, unknown> = { ...provider, name: providerName(provider) };
  delete view['clientSecret'];
  delete view['privateKey'];
  if (provider.type === 'SAML' && provider.metadataDocument !== undefined) {
    view['metadataDocument'] = undefined;
    view['hasMetadataDocument'] = true;
  }
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== undefined));
}
