import {
  bridgeClientBlueprints,
  CLIENT_READABLE_ATTRIBUTES,
  CLIENT_WRITABLE_ATTRIBUTES,
  parseTierConfigurationJson,
  sharedPoolBlueprints,
  siloPoolBlueprint,
  type UserPoolBlueprint,
} from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import { toCreateUserPoolClientInput, toCreateUserPoolInput, toSetUserPoolMfaConfigInput } from './user-pool-requests.js';

const config = parseTierConfigurationJson(
  JSON.stringify({
    tiers: [
      { name: 'basic', model: 'pool', mfa: 'OFF' },
      { name: 'standard', model: 'bridge', mfa: 'OPTIONAL', tokenValidity: { accessTokenMinutes: 30 } },
      {
        name: 'premium',
        model: 'silo',
        mfa: 'ON',
        threatProtection: 'ENFORCED',
        passwordPolicy: { minimumLength: 16, requireSymbols: true, temporaryPasswordValidityDays: 3 },
      },
    ],
  }),
);
const options = { deployment: 'gatehouse-test', deletionProtection: true };
const blueprints = sharedPoolBlueprints(config, options);
const byKey = (key: string): UserPoolBlueprint => {
  const found = blueprints.find((b) => b.key === key);
  if (!found) throw new Error(`no blueprint ${key}`);
  return found;
};
const premiumTier = config.tiers.find((t) => t.name === 'premium');
if (!premiumTier) throw new Error('no premium tier');
const silo = siloPoolBlueprint(premiumTier, 'acme', options);

describe('toCreateUserPoolInput', () => {
  it('declares tenantId and tenantTier as immutable, optional string attributes', () => {
    const input = toCreateUserPoolInput(byKey('basic'));
    expect(input.Schema).toEqual([
      {
        Name: 'tenantId',
        AttributeDataType: 'String',
        Mutable: false,
        Required: false,
        DeveloperOnlyAttribute: false,
        StringAttributeConstraints: { MinLength: '1', MaxLength: '64' },
      },
      {
        Name: 'tenantTier',
        AttributeDataType: 'String',
        Mutable: false,
        Required: false,
        DeveloperOnlyAttribute: false,
        StringAttributeConstraints: { MinLength: '1', MaxLength: '32' },
      },
    ]);
  });

  it('maps the password policy field by field', () => {
    expect(toCreateUserPoolInput(silo).Policies?.PasswordPolicy).toEqual({
      MinimumLength: 16,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      TemporaryPasswordValidityDays: 3,
    });
    expect(toCreateUserPoolInput(byKey('operators')).Policies?.PasswordPolicy?.MinimumLength).toBe(14);
  });

  it('keeps usernames opaque and auto-verifies e-mail', () => {
    const input = toCreateUserPoolInput(byKey('standard'));
    expect(input.UsernameAttributes).toBeUndefined();
    expect(input.AliasAttributes).toBeUndefined();
    expect(input.AutoVerifiedAttributes).toEqual(['email']);
    expect(input.PoolName).toBe('gatehouse-test-standard');
  });

  it('lets only a silo pool take the e-mail as a sign-in alias (shared pools hold one address in several tenants)', () => {
    const siloInput = toCreateUserPoolInput(silo);
    expect(siloInput.AliasAttributes).toEqual(['email']);
    expect(siloInput.UsernameAttributes).toBeUndefined();
    for (const blueprint of blueprints) expect(toCreateUserPoolInput(blueprint).AliasAttributes).toBeUndefined();
  });

  it('creates the pool with MFA off (Cognito rejects OPTIONAL/ON without SMS) and leaves MFA to SetUserPoolMfaConfig', () => {
    for (const blueprint of [...blueprints, silo]) {
      expect(toCreateUserPoolInput(blueprint).MfaConfiguration).toBe('OFF');
    }
  });

  it('maps deletion protection, threat protection and tags', () => {
    const input = toCreateUserPoolInput(silo);
    expect(input.DeletionProtection).toBe('ACTIVE');
    expect(input.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
    expect(input.UserPoolTier).toBe('PLUS');
    expect(input.UserPoolTags).toMatchObject({ 'gatehouse:tenant': 'acme', 'gatehouse:model': 'silo' });
    const basic = toCreateUserPoolInput(sharedPoolBlueprints(config, { ...options, deletionProtection: false })[0]!);
    expect(basic.DeletionProtection).toBe('INACTIVE');
    expect(basic.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'OFF' });
  });

  it('maps self sign-up per tier to AllowAdminCreateUserOnly, and never allows it for operators (finding 1)', () => {
    const mixed = parseTierConfigurationJson(
      JSON.stringify({
        tiers: [
          { name: 'open', model: 'pool', selfSignUp: true },
          { name: 'invited', model: 'bridge', selfSignUp: false },
          { name: 'gold', model: 'silo', selfSignUp: false },
        ],
      }),
    );
    const shared = sharedPoolBlueprints(mixed, options);
    const allowAdminOnly = (key: string) =>
      toCreateUserPoolInput(shared.find((b) => b.key === key)!).AdminCreateUserConfig?.AllowAdminCreateUserOnly;
    expect(allowAdminOnly('open')).toBe(false);
    expect(allowAdminOnly('invited')).toBe(true);
    expect(allowAdminOnly('operators')).toBe(true);
    const gold = siloPoolBlueprint(mixed.tiers[2]!, 'acme', options);
    expect(toCreateUserPoolInput(gold).AdminCreateUserConfig?.AllowAdminCreateUserOnly).toBe(true);
    // The default configuration promises sign-up in every tier.
    expect(toCreateUserPoolInput(byKey('basic')).AdminCreateUserConfig?.AllowAdminCreateUserOnly).toBe(false);
    expect(toCreateUserPoolInput(silo).AdminCreateUserConfig?.AllowAdminCreateUserOnly).toBe(false);
  });

  it('gives silo pools the UserAttributeUpdateSettings of the Pulumi pools (finding 1)', () => {
    expect(toCreateUserPoolInput(silo).UserAttributeUpdateSettings).toEqual({ AttributesRequireVerificationBeforeUpdate: ['email'] });
  });

  it('wires the deployment’s triggers (pre sign-up, pre token generation V2) when given, and none otherwise (emulator)', () => {
    const triggers = {
      preSignUp: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-sign-up',
      preTokenGeneration: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-token-generation',
    };
    expect(toCreateUserPoolInput(silo, triggers).LambdaConfig).toEqual({
      PreSignUp: triggers.preSignUp,
      PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: triggers.preTokenGeneration },
    });
    expect(toCreateUserPoolInput(silo).LambdaConfig).toBeUndefined();
  });

  it('wires the post-events function as both post confirmation and post authentication when the deployment has it', () => {
    const triggers = {
      preSignUp: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-sign-up',
      preTokenGeneration: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-token-generation',
      postEvents: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-post-events',
    };
    expect(toCreateUserPoolInput(silo, triggers).LambdaConfig).toMatchObject({
      PostConfirmation: triggers.postEvents,
      PostAuthentication: triggers.postEvents,
    });
  });

  it('wires the user-migration function as the pool’s UserMigration trigger when the deployment has it (any pool may become a move’s target)', () => {
    const triggers = {
      preSignUp: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-sign-up',
      preTokenGeneration: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-token-generation',
      userMigration: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-user-migration',
    };
    expect(toCreateUserPoolInput(silo, triggers).LambdaConfig).toEqual({
      PreSignUp: triggers.preSignUp,
      PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: triggers.preTokenGeneration },
      UserMigration: triggers.userMigration,
    });
  });

  it('wires the tier-move token exchange’s three auth-challenge triggers as a set, never a part of it', () => {
    const base = {
      preSignUp: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-sign-up',
      preTokenGeneration: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-pre-token-generation',
    };
    const exchange = {
      defineAuthChallenge: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-define-auth-challenge',
      createAuthChallenge: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-create-auth-challenge',
      verifyAuthChallengeResponse: 'arn:aws:lambda:eu-west-1:123456789012:function:gh-verify-auth-challenge-response',
    };
    expect(toCreateUserPoolInput(silo, { ...base, ...exchange }).LambdaConfig).toMatchObject({
      DefineAuthChallenge: exchange.defineAuthChallenge,
      CreateAuthChallenge: exchange.createAuthChallenge,
      VerifyAuthChallengeResponse: exchange.verifyAuthChallengeResponse,
    });
    const partial = toCreateUserPoolInput(silo, { ...base, defineAuthChallenge: exchange.defineAuthChallenge }).LambdaConfig;
    expect(partial).not.toHaveProperty('DefineAuthChallenge');
    expect(partial).not.toHaveProperty('CreateAuthChallenge');
  });
});

describe('toSetUserPoolMfaConfigInput', () => {
  it('maps OFF / OPTIONAL / ON with TOTP as the factor', () => {
    expect(toSetUserPoolMfaConfigInput(byKey('basic'), 'p1')).toEqual({
      UserPoolId: 'p1',
      MfaConfiguration: 'OFF',
      SoftwareTokenMfaConfiguration: { Enabled: false },
    });
    expect(toSetUserPoolMfaConfigInput(byKey('standard'), 'p2')).toEqual({
      UserPoolId: 'p2',
      MfaConfiguration: 'OPTIONAL',
      SoftwareTokenMfaConfiguration: { Enabled: true },
    });
    expect(toSetUserPoolMfaConfigInput(byKey('operators'), 'p3').MfaConfiguration).toBe('ON');
    expect(toSetUserPoolMfaConfigInput(silo, 'p4')).toMatchObject({ MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } });
  });
});

describe('toCreateUserPoolClientInput', () => {
  const basic = byKey('basic');

  it('lets the public client read the tenant attributes but write none', () => {
    const input = toCreateUserPoolClientInput(basic, basic.clients.public, 'pool-1');
    expect(input.WriteAttributes).toEqual([...CLIENT_WRITABLE_ATTRIBUTES]);
    expect(input.WriteAttributes?.some((a) => a.startsWith('custom:'))).toBe(false);
    expect(input.ReadAttributes).toEqual([...CLIENT_READABLE_ATTRIBUTES]);
    expect(input.ReadAttributes).toEqual(expect.arrayContaining(['custom:tenantId', 'custom:tenantTier']));
  });

  it('makes the public client a front-end client: no secret, SRP, the password flow (user migration during tier moves) and refresh, no user context propagation', () => {
    const input = toCreateUserPoolClientInput(basic, basic.clients.public, 'pool-1');
    expect(input).toMatchObject({
      UserPoolId: 'pool-1',
      ClientName: 'gatehouse-test-basic-shared',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      EnablePropagateAdditionalUserContextData: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AuthSessionValidity: 3,
    });
    expect(input.AllowedOAuthFlows).toBeUndefined();
  });

  it('makes the Gatehouse client confidential, propagating user context, the only writer of the tenant attributes', () => {
    const input = toCreateUserPoolClientInput(basic, basic.clients.gatehouse, 'pool-1');
    expect(input).toMatchObject({
      ClientName: 'gatehouse-test-basic-gatehouse',
      GenerateSecret: true,
      EnablePropagateAdditionalUserContextData: true,
      // ALLOW_CUSTOM_AUTH: the tier-move token exchange at refresh (README "Trust during a move").
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_CUSTOM_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    expect(input.WriteAttributes).toEqual([...CLIENT_WRITABLE_ATTRIBUTES, 'custom:tenantId', 'custom:tenantTier']);
    expect(input.ExplicitAuthFlows).not.toContain('ALLOW_USER_SRP_AUTH');
  });

  it('never gives the Gatehouse client a hosted UI, even when callback URLs are given', () => {
    const input = toCreateUserPoolClientInput(basic, basic.clients.gatehouse, 'pool-1', { callbackUrls: ['https://x.example/cb'] });
    expect(input.AllowedOAuthFlows).toBeUndefined();
    expect(input.CallbackURLs).toBeUndefined();
  });

  it('maps token validity with explicit units', () => {
    const standard = byKey('standard');
    const input = toCreateUserPoolClientInput(standard, standard.clients.public, 'pool-2');
    expect(input).toMatchObject({
      AccessTokenValidity: 30,
      IdTokenValidity: 60,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    });
    const operators = byKey('operators');
    expect(toCreateUserPoolClientInput(operators, operators.clients.gatehouse, 'pool-3')).toMatchObject({ AccessTokenValidity: 15, RefreshTokenValidity: 1 });
  });

  it('names a bridge tenant’s two clients after the tenant and accepts per-tenant overrides', () => {
    const standard = byKey('standard');
    const clients = bridgeClientBlueprints(standard, 'globex', options);
    expect([clients.public.name, clients.gatehouse.name]).toEqual(['gatehouse-test-tenant-globex', 'gatehouse-test-tenant-globex-gatehouse']);
    const input = toCreateUserPoolClientInput(standard, clients.public, 'pool-2', {
      tokenValidity: { accessTokenMinutes: 10 },
      callbackUrls: ['https://globex.example/callback'],
      identityProviders: ['COGNITO', 'globex-oidc'],
    });
    expect(input).toMatchObject({
      ClientName: 'gatehouse-test-tenant-globex',
      AccessTokenValidity: 10,
      IdTokenValidity: 60,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['https://globex.example/callback'],
      SupportedIdentityProviders: ['COGNITO', 'globex-oidc'],
    });
  });

  it('does not share arrays with the blueprint or the shared constants', () => {
    const input = toCreateUserPoolClientInput(basic, basic.clients.public, 'pool-1');
    input.WriteAttributes?.push('custom:tenantId');
    expect(CLIENT_WRITABLE_ATTRIBUTES).not.toContain('custom:tenantId');
    expect(basic.clients.public.writeAttributes).not.toContain('custom:tenantId');
  });
});

describe('toCreateUserPoolInput: e-mail (issue 14 row 4)', () => {
  const email = {
    sourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/mail.example.com',
    fromAddress: 'no-reply@mail.example.com',
    replyToAddress: 'support@example.com',
    configurationSet: 'gatehouse-test-cognito',
  };

  it('sends through SES as DEVELOPER, in the tenant name for a silo pool (CreateUserPool EmailConfiguration)', () => {
    const pool = siloPoolBlueprint(premiumTier, 'acme', { ...options, email }, { senderName: 'Acme "Corp" <x>' });
    expect(toCreateUserPoolInput(pool).EmailConfiguration).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      SourceArn: email.sourceArn,
      From: '"Acme Corp x" <no-reply@mail.example.com>',
      ReplyToEmailAddress: 'support@example.com',
      ConfigurationSet: 'gatehouse-test-cognito',
    });
  });

  it("says Cognito's default sender explicitly when no SES sending is configured", () => {
    expect(toCreateUserPoolInput(silo).EmailConfiguration).toEqual({ EmailSendingAccount: 'COGNITO_DEFAULT' });
  });

  it('names shared pools Gatehouse', () => {
    const shared = sharedPoolBlueprints(config, { ...options, email }).find((pool) => pool.key === 'basic')!;
    expect(toCreateUserPoolInput(shared).EmailConfiguration?.From).toBe('"Gatehouse" <no-reply@mail.example.com>');
  });
});
