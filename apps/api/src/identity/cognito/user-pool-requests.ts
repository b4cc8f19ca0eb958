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
  ExplicitAuthFlowsType,
  SchemaAttributeType,
  SetUserPoolMfaConfigCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  type AppClientBlueprint,
  type CognitoTriggerArns,
  PRE_TOKEN_GENERATION_LAMBDA_VERSION,
  hasTokenExchangeTriggers,
  type TokenValidity,
  type UserPoolBlueprint,
} from '@gatehouse/tiers';
import { poolMfaConfigInput } from './mfa-requests.js';

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

/** Cognito's LambdaConfig for the deployment's triggers (absent in local mode: the emulator cannot run them). */
export function toLambdaConfig(triggers: CognitoTriggerArns): NonNullable<CreateUserPoolCommandInput['LambdaConfig']> {
  return {
    PreSignUp: triggers.preSignUp,
    PreTokenGenerationConfig: { LambdaVersion: PRE_TOKEN_GENERATION_LAMBDA_VERSION, LambdaArn: triggers.preTokenGeneration },
    // Sign-ins and confirmations at Cognito directly reach Gatehouse's events (README "Events and hooks").
    ...(triggers.postEvents ? { PostConfirmation: triggers.postEvents, PostAuthentication: triggers.postEvents } : {}),
    // A tier move's deferred users signing in at the target pool directly (README "Moving a tenant between tiers").
    ...(triggers.userMigration ? { UserMigration: triggers.userMigration } : {}),
    // The tier-move token exchange (custom auth; README "Trust during a move"): only ever as a complete set.
    ...(hasTokenExchangeTriggers(triggers)
      ? {
          DefineAuthChallenge: triggers.defineAuthChallenge,
          CreateAuthChallenge: triggers.createAuthChallenge,
          VerifyAuthChallengeResponse: triggers.verifyAuthChallengeResponse,
        }
      : {}),
  };
}

export function toCreateUserPoolInput(blueprint: UserPoolBlueprint, triggers?: CognitoTriggerArns): CreateUserPoolCommandInput {
  const policy = blueprint.passwordPolicy;
  return {
    PoolName: blueprint.poolName,
    // Usernames are opaque ids (never the e-mail): no UsernameAttributes. A silo pool lets its users
    // type their e-mail instead (AliasAttributes); shared pools cannot, one address may be in several tenants.
    UsernameConfiguration: { CaseSensitive: false },
    ...(blueprint.signInAliases.length > 0 ? { AliasAttributes: [...blueprint.signInAliases] } : {}),
    Schema: toCustomAttributeSchema(blueprint),
    AutoVerifiedAttributes: [...blueprint.autoVerifiedAttributes],
    // Keep the old address until the new one is verified.
    UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: [...blueprint.attributesRequireVerificationBeforeUpdate] },
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
    // Self sign-up is a per-tier setting (operators: never); users who sign up
    // bypassing Gatehouse are refused by the pre sign-up trigger.
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: !blueprint.selfSignUp },
    VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
    // Threat protection (advanced security) needs the Plus feature plan.
    UserPoolTier: blueprint.threatProtection === 'OFF' ? 'ESSENTIALS' : 'PLUS',
    UserPoolAddOns: { AdvancedSecurityMode: blueprint.threatProtection },
    DeletionProtection: blueprint.deletionProtection ? 'ACTIVE' : 'INACTIVE',
    EmailConfiguration: toEmailConfiguration(blueprint),
    UserPoolTags: { ...blueprint.tags },
    ...(triggers ? { LambdaConfig: toLambdaConfig(triggers) } : {}),
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
  return poolMfaConfigInput(userPoolId, blueprint.mfa);
}

export interface UserPoolClientOverrides {
  /** Per-client token lifetimes (bridge tenants); defaults to the blueprint's. */
  readonly tokenValidity?: Partial<TokenValidity>;
  /** Hosted UI / OAuth code flow: enabled when callback URLs are given (public clients only). */
  readonly callbackUrls?: readonly string[];
  readonly logoutUrls?: readonly string[];
  readonly oauthScopes?: readonly string[];
  /** `COGNITO` plus any external IdP names registered for the tenant. */
  readonly identityProviders?: readonly string[];
}

export const DEFAULT_OAUTH_SCOPES = ['openid', 'email', 'profile'] as const;

/** One app client of the pool (its public or its Gatehouse client), every setting from the blueprint. */
export function toCreateUserPoolClientInput(
  blueprint: UserPoolBlueprint,
  client: AppClientBlueprint,
  userPoolId: string,
  overrides: UserPoolClientOverrides = {},
): CreateUserPoolClientCommandInput {
  const validity: TokenValidity = { ...blueprint.tokenValidity, ...overrides.tokenValidity };
  const oauth = client.oauthCapable && (overrides.callbackUrls?.length ?? 0) > 0;
  return {
    UserPoolId: userPoolId,
    ClientName: client.name,
    GenerateSecret: client.generateSecret,
    ExplicitAuthFlows: [...client.authFlows] as ExplicitAuthFlowsType[],
    ReadAttributes: [...client.readAttributes],
    // Only the Gatehouse client may write custom:tenant*: a user cannot pick their tenant.
    WriteAttributes: [...client.writeAttributes],
    AccessTokenValidity: validity.accessTokenMinutes,
    IdTokenValidity: validity.idTokenMinutes,
    RefreshTokenValidity: validity.refreshTokenDays,
    TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    PreventUserExistenceErrors: client.preventUserExistenceErrors ? 'ENABLED' : 'LEGACY',
    EnableTokenRevocation: client.enableTokenRevocation,
    EnablePropagateAdditionalUserContextData: client.propagateUserContext,
    AuthSessionValidity: client.authSessionValidityMinutes,
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
