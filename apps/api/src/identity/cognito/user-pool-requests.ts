/**
 * Pure mapping from a `UserPoolBlueprint` (libs/tiers) to Cognito API requests.
 *
 * Used by the local stack to create the shared pools in the emulator, and by
 * the API to provision silo tenants' pools and bridge tenants' app clients, so
 * every pool Gatehouse creates through the SDK has the same shape. (The Pulumi
 * component maps the same blueprint to `aws.cognito.UserPool` arguments.)
 *
 * A pool is created in two calls, because Cognito rejects `CreateUserPool`
 * with `MfaConfiguration` `OPTIONAL`/`ON` unless SMS MFA is configured
 * ("SMS configuration and Auto verification for phone_number are required
 * when MFA is required/optional"); TOTP-only MFA is switched on afterwards
 * with `SetUserPoolMfaConfig`:
 *   1. `toCreateUserPoolInput(blueprint)` (MFA off),
 *   2. `toSetUserPoolMfaConfigInput(blueprint, userPoolId)` (the tier's MFA, TOTP).
 */
import type {
  CreateUserPoolClientCommandInput,
  CreateUserPoolCommandInput,
  SchemaAttributeType,
  SetUserPoolMfaConfigCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  CLIENT_AUTH_FLOWS,
  CLIENT_READABLE_ATTRIBUTES,
  CLIENT_WRITABLE_ATTRIBUTES,
  type TokenValidity,
  type UserPoolBlueprint,
} from '@gatehouse/tiers';

/** The custom attributes as Cognito schema entries: immutable strings, never required, never developer-only. */
export function toCustomAttributeSchema(blueprint: UserPoolBlueprint): SchemaAttributeType[] {
  return blueprint.customAttributes.map((attribute) => ({
    Name: attribute.name,
    AttributeDataType: 'String',
    Mutable: false,
    Required: false,
    DeveloperOnlyAttribute: false,
    StringAttributeConstraints: { MinLength: '1', MaxLength: String(attribute.maxLength) },
  }));
}

export function toCreateUserPoolInput(blueprint: UserPoolBlueprint): CreateUserPoolCommandInput {
  const policy = blueprint.passwordPolicy;
  return {
    PoolName: blueprint.poolName,
    // Usernames are opaque ids (never the e-mail): no UsernameAttributes / AliasAttributes.
    UsernameConfiguration: { CaseSensitive: false },
    Schema: toCustomAttributeSchema(blueprint),
    AutoVerifiedAttributes: [...blueprint.autoVerifiedAttributes],
    Policies: {
      PasswordPolicy: {
        MinimumLength: policy.minimumLength,
        RequireLowercase: policy.requireLowercase,
        RequireUppercase: policy.requireUppercase,
        RequireNumbers: policy.requireNumbers,
        RequireSymbols: policy.requireSymbols,
        TemporaryPasswordValidityDays: policy.temporaryPasswordValidityDays,
      },
    },
    // Turned on by SetUserPoolMfaConfig right after creation (see the module comment).
    MfaConfiguration: 'OFF',
    AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    // Operators are invited, never self-registered.
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: blueprint.kind === 'operators' },
    VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
    // Threat protection (advanced security) needs the Plus feature plan.
    UserPoolTier: blueprint.threatProtection === 'OFF' ? 'ESSENTIALS' : 'PLUS',
    UserPoolAddOns: { AdvancedSecurityMode: blueprint.threatProtection },
    DeletionProtection: blueprint.deletionProtection ? 'ACTIVE' : 'INACTIVE',
    EmailConfiguration: toEmailConfiguration(blueprint),
    UserPoolTags: { ...blueprint.tags },
  };
}

/** The pool's `EmailConfiguration` (CreateUserPool API reference): SES as DEVELOPER, or Cognito's default sender. */
export function toEmailConfiguration(blueprint: UserPoolBlueprint): NonNullable<CreateUserPoolCommandInput['EmailConfiguration']> {
  const email = blueprint.email;
  if (email.sendingAccount === 'COGNITO_DEFAULT') return { EmailSendingAccount: 'COGNITO_DEFAULT' };
  return {
    EmailSendingAccount: 'DEVELOPER',
    SourceArn: email.sourceArn,
    From: email.from,
    ...(email.replyToAddress ? { ReplyToEmailAddress: email.replyToAddress } : {}),
    ...(email.configurationSet ? { ConfigurationSet: email.configurationSet } : {}),
  };
}

/** The pool's MFA setting with TOTP (software token) as the only factor; `OFF` disables it. */
export function toSetUserPoolMfaConfigInput(blueprint: UserPoolBlueprint, userPoolId: string): SetUserPoolMfaConfigCommandInput {
  return {
    UserPoolId: userPoolId,
    MfaConfiguration: blueprint.mfa,
    SoftwareTokenMfaConfiguration: { Enabled: blueprint.mfa !== 'OFF' },
  };
}

export interface UserPoolClientOverrides {
  /** Defaults to the blueprint's client name (bridge tenants get their own). */
  readonly clientName?: string;
  /** Per-client token lifetimes (bridge tenants); defaults to the blueprint's. */
  readonly tokenValidity?: Partial<TokenValidity>;
  /** Hosted UI / OAuth code flow: enabled when callback URLs are given. */
  readonly callbackUrls?: readonly string[];
  readonly logoutUrls?: readonly string[];
  readonly oauthScopes?: readonly string[];
  /** `COGNITO` plus any external IdP names registered for the tenant. */
  readonly identityProviders?: readonly string[];
  /** Confidential client (server-side); public clients by default. */
  readonly generateSecret?: boolean;
}

export const DEFAULT_OAUTH_SCOPES = ['openid', 'email', 'profile'] as const;

export function toCreateUserPoolClientInput(
  blueprint: UserPoolBlueprint,
  userPoolId: string,
  overrides: UserPoolClientOverrides = {},
): CreateUserPoolClientCommandInput {
  const validity: TokenValidity = { ...blueprint.tokenValidity, ...overrides.tokenValidity };
  const oauth = (overrides.callbackUrls?.length ?? 0) > 0;
  return {
    UserPoolId: userPoolId,
    ClientName: overrides.clientName ?? blueprint.clientName,
    GenerateSecret: overrides.generateSecret ?? false,
    ExplicitAuthFlows: [...CLIENT_AUTH_FLOWS],
    ReadAttributes: [...CLIENT_READABLE_ATTRIBUTES],
    // custom:* is deliberately not writable: a user cannot pick their tenant.
    WriteAttributes: [...CLIENT_WRITABLE_ATTRIBUTES],
    AccessTokenValidity: validity.accessTokenMinutes,
    IdTokenValidity: validity.idTokenMinutes,
    RefreshTokenValidity: validity.refreshTokenDays,
    TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    PreventUserExistenceErrors: 'ENABLED',
    EnableTokenRevocation: true,
    SupportedIdentityProviders: [...(overrides.identityProviders ?? ['COGNITO'])],
    ...(oauth
      ? {
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthFlows: ['code'],
          AllowedOAuthScopes: [...(overrides.oauthScopes ?? DEFAULT_OAUTH_SCOPES)],
          CallbackURLs: [...(overrides.callbackUrls ?? [])],
          LogoutURLs: [...(overrides.logoutUrls ?? [])],
        }
      : {}),
  };
}
