import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationFailedError } from '../../common/domain-error.js';
import {
  assertFederationAvailable,
  attributeMappingProblems,
  checkFederatedProvider,
  federatedProviderSchema,
  providerName,
  publicProviderView,
} from './federated-provider.js';

const mapping = { email: 'email', name: 'name' };
const parse = (input: unknown) => federatedProviderSchema.parse(input);

describe(attributeMappingProblems.name, () => {
  const sut = attributeMappingProblems;

  it('accepts the standard profile attributes the public client may write', () => {
    expect(sut({ email: 'mail', name: 'displayName', given_name: 'first', family_name: 'last', locale: 'lang' })).toEqual([]);
  });

  it.each(['custom:tenantId', 'custom:tenantTier', 'custom:TENANTID', 'custom:tenant_anything', 'custom:role'])('refuses the target %s', (target) => {
    expect(sut({ ...mapping, [target]: 'groups' })).toEqual([
      { path: `attributeMapping.${target}`, message: 'tenant and role attributes are set by Gatehouse, never by an identity provider' },
    ]);
  });

  it.each(['sub', 'email_verified', 'cognito:groups', 'custom:department', 'phone_number', 'username'])('refuses %s (not on the allow-list)', (target) => {
    expect(sut({ ...mapping, [target]: 'x' }).map((problem) => problem.path)).toEqual([`attributeMapping.${target}`]);
  });

  it('requires the e-mail to be mapped', () => {
    expect(sut({ name: 'name' })).toEqual([{ path: 'attributeMapping.email', message: 'must map the e-mail (users are kept by e-mail)' }]);
  });
});

describe(checkFederatedProvider.name, () => {
  const sut = checkFederatedProvider;

  it('refuses a tenant attribute in the mapping with 400 validation_failed naming the field', () => {
    let error: unknown;
    try {
      sut(parse({ type: 'Google', clientId: 'g', clientSecret: 's', displayName: 'Google', attributeMapping: { email: 'email', 'custom:tenantId': 'hd' } }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).status).toBe(400);
    expect((error as ValidationFailedError).extensions.errors.map((problem) => problem.path)).toEqual(['attributeMapping.custom:tenantId']);
  });

  it.each([
    ['http (not https)', 'http://idp.example.com/metadata'],
    ['credentials', 'https://user:pw@idp.example.com/metadata'],
    ['a private address', 'https://10.0.0.5/metadata'],
    ['the metadata service', 'https://169.254.169.254/latest'],
    ['localhost', 'https://localhost/metadata'],
  ])('refuses a SAML metadata URL with %s', (_case, metadataUrl) => {
    expect(() => sut(parse({ type: 'SAML', name: 'Acme', metadataUrl, displayName: 'Acme', attributeMapping: mapping }))).toThrow(ValidationFailedError);
  });

  it('refuses an OIDC issuer that is not public https', () => {
    expect(() =>
      sut(parse({ type: 'OIDC', name: 'Acme', issuer: 'http://127.0.0.1:8080', clientId: 'c', clientSecret: 's', displayName: 'Acme', attributeMapping: mapping })),
    ).toThrow(ValidationFailedError);
  });

  it('accepts SAML metadata given as a document, and refuses one that is not metadata', () => {
    const document = '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>';
    expect(sut(parse({ type: 'SAML', name: 'Acme', metadataDocument: document, displayName: 'Acme', attributeMapping: mapping })).type).toBe('SAML');
    expect(() => sut(parse({ type: 'SAML', name: 'Acme', metadataDocument: 'hello', displayName: 'Acme', attributeMapping: mapping }))).toThrow(
      ValidationFailedError,
    );
  });
});

describe('federatedProviderSchema', () => {
  it('refuses SAML with both or neither of metadataUrl and metadataDocument', () => {
    const base = { type: 'SAML', name: 'Acme', displayName: 'Acme', attributeMapping: mapping };
    expect(federatedProviderSchema.safeParse(base).success).toBe(false);
    expect(federatedProviderSchema.safeParse({ ...base, metadataUrl: 'https://a.example/m', metadataDocument: '<EntityDescriptor/>' }).success).toBe(false);
  });

  it.each(['Acme_SAML', 'a'.repeat(33), '-acme', 'ac me'])('refuses the provider name %j (Cognito names users <provider>_<subject>)', (name) => {
    expect(federatedProviderSchema.safeParse({ type: 'SAML', name, metadataUrl: 'https://a.example/m', displayName: 'A', attributeMapping: mapping }).success).toBe(false);
  });

  it('never lets a provider grant admin by default, and refuses unknown fields', () => {
    const base = { type: 'Google', clientId: 'g', clientSecret: 's', displayName: 'Google', attributeMapping: mapping };
    expect(parse(base).defaultRole).toBe('member');
    expect(federatedProviderSchema.safeParse({ ...base, defaultRole: 'admin' }).success).toBe(false);
    expect(federatedProviderSchema.safeParse({ ...base, tenantId: 'x' }).success).toBe(false);
  });

  it('names social providers after their type (Cognito requires it) and SAML/OIDC after the operator’s name', () => {
    expect(providerName(parse({ type: 'Facebook', clientId: 'f', clientSecret: 's', displayName: 'Facebook', attributeMapping: mapping }))).toBe('Facebook');
    expect(providerName(parse({ type: 'SAML', name: 'AcmeAD', metadataUrl: 'https://a.example/m', displayName: 'A', attributeMapping: mapping }))).toBe('AcmeAD');
  });
});

describe(publicProviderView.name, () => {
  it('never shows a client secret, an Apple private key or the metadata document', () => {
    const views = [
      publicProviderView(parse({ type: 'OIDC', name: 'Acme', issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 'TOP-SECRET', displayName: 'A', attributeMapping: mapping })),
      publicProviderView(
        parse({ type: 'SignInWithApple', clientId: 'com.acme', teamId: 'ABCDE12345', keyId: 'KEY1234567', privateKey: 'TOP-SECRET', displayName: 'Apple', attributeMapping: mapping }),
      ),
      publicProviderView(parse({ type: 'SAML', name: 'Acme', metadataDocument: '<EntityDescriptor>TOP-SECRET</EntityDescriptor>', displayName: 'A', attributeMapping: mapping })),
    ];
    for (const view of views) expect(JSON.stringify(view)).not.toContain('TOP-SECRET');
    expect(views[0]).toMatchObject({ name: 'Acme', clientId: 'c', issuer: 'https://idp.example.com' });
    expect(views[2]).toMatchObject({ hasMetadataDocument: true });
  });
});

describe(assertFederationAvailable.name, () => {
  it('refuses the pool model with 409 federation_not_available_in_pool_model, and allows bridge and silo', () => {
    let error: unknown;
    try {
      assertFederationAvailable('pool');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('federation_not_available_in_pool_model');
    expect((error as ConflictError).status).toBe(409);
    expect(() => assertFederationAvailable('bridge')).not.toThrow();
    expect(() => assertFederationAvailable('silo')).not.toThrow();
  });
});
