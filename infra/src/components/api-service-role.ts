/**
 * The IAM role the API's Kubernetes service account assumes (IRSA). Only that
 * service account, in that namespace, presenting a token for STS, can assume
 * it; and it can only do the Cognito administration Gatehouse performs.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * The IAM-authorised Cognito actions the API calls: exactly the `*Command`s
 * apps/api/src imports from the Cognito SDK, minus the public ones below.
 * `api-service-role.spec.ts` reads the source and fails when the two drift.
 */
export const COGNITO_ADMIN_ACTIONS = [
  'cognito-idp:AdminAddUserToGroup',
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:AdminGetUser',
  // The tier-move token exchange at refresh (custom auth on a target's Gatehouse client; denied on the operators' pool by Admin*).
  'cognito-idp:AdminInitiateAuth',
  'cognito-idp:AdminListGroupsForUser',
  'cognito-idp:AdminRemoveUserFromGroup',
  'cognito-idp:AdminRespondToAuthChallenge',
  // A tenant admin's MFA reset of one of their users (denied on the operators' pool by Admin*).
  'cognito-idp:AdminSetUserMFAPreference',
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:AdminUserGlobalSignOut',
  'cognito-idp:CreateGroup',
  // SSO through Cognito (issue 13): a bridge or silo tenant's SAML / OIDC / social providers.
  'cognito-idp:CreateIdentityProvider',
  'cognito-idp:CreateUserPoolClient',
  // The hosted UI's domain, created once per pool when its first tenant federates.
  'cognito-idp:CreateUserPoolDomain',
  'cognito-idp:DeleteIdentityProvider',
  'cognito-idp:DeleteUserPool',
  'cognito-idp:DeleteUserPoolClient',
  // A silo pool's hosted-UI domain, which Cognito makes us delete before the pool (denied on the tier pools below).
  'cognito-idp:DeleteUserPoolDomain',
  // Tier moves re-create a tenant's providers on the target from the source's (the answer carries their secrets).
  'cognito-idp:DescribeIdentityProvider',
  // The tags of a same-named pool left by an interrupted provisioning (row 7); a pool's hosted-UI domain.
  'cognito-idp:DescribeUserPool',
  // The Gatehouse clients' secrets (SECRET_HASH), read once and kept in memory.
  'cognito-idp:DescribeUserPoolClient',
  'cognito-idp:ListUserPoolClients',
  'cognito-idp:ListUsers',
  'cognito-idp:SetUserPoolMfaConfig',
  // A tier move's resumed copy of a provider it had already created on the target.
  'cognito-idp:UpdateIdentityProvider',
  'cognito-idp:UpdateUserPool',
  // A tenant's own public client: its providers, callback URLs and the code flow (issue 13).
  'cognito-idp:UpdateUserPoolClient',
] as const;

/** Actions with no resource to scope to (service authorization reference): CreateUserPool, ListUserPools. */
export const COGNITO_UNSCOPED_ACTIONS = ['cognito-idp:CreateUserPool', 'cognito-idp:ListUserPools'] as const;

/**
 * Cognito operations the API calls that IAM does not authorise: they are
 * unauthenticated (sign-up, sign-in, codes) or authorised by the user's own
 * access token (MFA set-up, password change), per the Cognito API reference's
 * "authorization" notes. Granting them in IAM would change nothing.
 */
export const COGNITO_PUBLIC_OPERATIONS = [
  'AssociateSoftwareToken',
  'ChangePassword',
  'ConfirmForgotPassword',
  'ConfirmSignUp',
  'ForgotPassword',
  // Authorised by the refresh token and the client secret.
  'GetTokensFromRefreshToken',
  'InitiateAuth',
  'ResendConfirmationCode',
  'RespondToAuthChallenge',
  'RevokeToken',
  'SetUserMFAPreference',
  'SignUp',
  'VerifySoftwareToken',
] as const;

/** The tag every pool of a deployment carries (`@gatehouse/tiers` blueprints set it; Pulumi sets it on the shared pools). */
export const DEPLOYMENT_TAG = 'gatehouse:deployment';

/**
 * Pool-level changes the API must never make to the tier pools Pulumi owns:
 * it manages their users and bridge clients, but the pools themselves change
 * only through `pulumi up`.
 */
export const SHARED_POOL_DENIED_ACTIONS = [
  'cognito-idp:DeleteUserPool',
  'cognito-idp:UpdateUserPool',
  'cognito-idp:SetUserPoolMfaConfig',
  'cognito-idp:DeleteGroup',
  // Creating a bridge tier pool's hosted-UI domain is allowed (its first federating tenant needs
  // one, and it is shared by that pool's tenants); removing or changing it is Pulumi's.
  'cognito-idp:DeleteUserPoolDomain',
  'cognito-idp:UpdateUserPoolDomain',
] as const;

/**
 * The operators' pool grants `platform-admin`. The API never administers it
 * (operators are managed in Cognito by the platform team), so every way to
 * create, enable, re-password or promote a user there, or to loosen the pool
 * or its clients, is denied outright, whatever else is allowed.
 */
export const OPERATORS_POOL_DENIED_ACTIONS = [
  'cognito-idp:Admin*',
  'cognito-idp:CreateGroup',
  'cognito-idp:UpdateGroup',
  'cognito-idp:DeleteGroup',
  'cognito-idp:UpdateUserPool',
  'cognito-idp:DeleteUserPool',
  'cognito-idp:SetUserPoolMfaConfig',
  'cognito-idp:CreateUserPoolClient',
  'cognito-idp:UpdateUserPoolClient',
  'cognito-idp:DeleteUserPoolClient',
  'cognito-idp:CreateIdentityProvider',
  'cognito-idp:UpdateIdentityProvider',
  'cognito-idp:DeleteIdentityProvider',
  'cognito-idp:DescribeIdentityProvider',
  'cognito-idp:CreateUserPoolDomain',
  'cognito-idp:DeleteUserPoolDomain',
  'cognito-idp:CreateUserImportJob',
  'cognito-idp:StartUserImportJob',
  'cognito-idp:TagResource',
  'cognito-idp:UntagResource',
] as const;

export interface ApiServiceRoleArgs {
  /** ARN of the cluster's IAM OIDC provider. */
  readonly oidcProviderArn: pulumi.Input<string>;
  /** The cluster's OIDC issuer without `https://`, e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC`. */
  readonly oidcIssuer: pulumi.Input<string>;
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly region: pulumi.Input<string>;
  /** Further regions silo tenants' pools may be created in (a premium tenant can choose its region). */
  readonly additionalSiloRegions?: readonly string[];
  readonly accountId: pulumi.Input<string>;
  /** ARNs of the Pulumi-managed tier pools, protected by an explicit deny. */
  readonly sharedPoolArns: pulumi.Input<pulumi.Input<string>[]>;
  /** ARN of the operators' pool: every administrative action on it is denied. */
  readonly operatorsPoolArn: pulumi.Input<string>;
  /** This deployment's name: the API may touch only pools tagged `gatehouse:deployment=<deployment>`. */
  readonly deployment: string;
  /** CloudWatch namespace of the Cognito quota headroom the API publishes (row 7); the only one it may write. */
  readonly capacityMetricsNamespace?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export class ApiServiceRoleArgsError extends Error {
  override readonly name = 'ApiServiceRoleArgsError';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function validateApiServiceRoleArgs(
  args: Pick<ApiServiceRoleArgs, 'namespace' | 'serviceAccountName' | 'additionalSiloRegions'>,
): void {
  const problems: string[] = [];
  for (const region of args.additionalSiloRegions ?? []) {
    if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) problems.push(`"${region}" is not an AWS region`);
  }
  if (!DNS_LABEL.test(args.namespace)) problems.push(`namespace "${args.namespace}" is not a DNS label`);
  if (!DNS_LABEL.test(args.serviceAccountName)) {
    problems.push(`serviceAccountName "${args.serviceAccountName}" is not a DNS label`);
  }
  if (problems.length > 0) {
    throw new ApiServiceRoleArgsError(`invalid ApiServiceRole arguments:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type PolicyDocument = {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
};

/** Trust policy: only `system:serviceaccount:<namespace>:<name>` with audience `sts.amazonaws.com`. */
export function irsaTrustPolicy(
  oidcProviderArn: string,
  oidcIssuer: string,
  namespace: string,
  serviceAccountName: string,
): PolicyDocument {
  const issuer = oidcIssuer.replace(/^https:\/\//, '');
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: oidcProviderArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccountName}`,
            [`${issuer}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ],
  };
}

/**
 * The API's Cognito permissions: its actions only on this account's pools in
 * the allowed regions that carry this deployment's tag (other deployments'
 * pools in the same account are out of reach); pool creation only with that
 * tag in the request and only in the allowed regions; explicit denies on the
 * Pulumi-managed tier pools and on the operators' pool.
 */
export function cognitoAdminPolicy(args: {
  regions: readonly string[];
  accountId: string;
  deployment: string;
  sharedPoolArns: readonly string[];
  operatorsPoolArn: string;
}): PolicyDocument {
  if (args.regions.length === 0) throw new ApiServiceRoleArgsError('cognitoAdminPolicy needs at least one region');
  const regions = [...new Set(args.regions)];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ManageThisDeploymentsPools',
        Effect: 'Allow',
        Action: [...COGNITO_ADMIN_ACTIONS],
        Resource: regions.map((region) => `arn:aws:cognito-idp:${region}:${args.accountId}:userpool/*`),
        Condition: { StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: args.deployment } },
      },
      {
        Sid: 'CreateSiloPoolsTaggedForThisDeployment',
        Effect: 'Allow',
        // IAM authorises CreateUserPool before the pool (and so its ARN) exists, so `Resource`
        // must be "*"; the request must carry this deployment's tag and name an allowed region.
        Action: 'cognito-idp:CreateUserPool',
        Resource: '*',
        Condition: {
          StringEquals: { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: args.deployment, 'aws:RequestedRegion': regions },
        },
      },
      {
        Sid: 'ListPoolsToResumeProvisioning',
        Effect: 'Allow',
        // No resource type either; it reveals pool names and ids only.
        Action: 'cognito-idp:ListUserPools',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': regions } },
      },
      ...(args.sharedPoolArns.length === 0
        ? []
        : [
            {
              Sid: 'TierPoolsChangeOnlyThroughPulumi',
              Effect: 'Deny',
              Action: [...SHARED_POOL_DENIED_ACTIONS],
              Resource: [...args.sharedPoolArns],
            },
          ]),
      {
        Sid: 'NeverAdministerTheOperatorsPool',
        Effect: 'Deny',
        Action: [...OPERATORS_POOL_DENIED_ACTIONS],
        Resource: args.operatorsPoolArn,
      },
    ],
  };
}

/**
 * PutMetricData for the Cognito quota headroom (row 7). The action has no
 * resource type; the `cloudwatch:namespace` condition key limits it to the
 * one namespace the API publishes to.
 */
export function capacityMetricsPolicy(namespace: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublishCognitoQuotaHeadroom',
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': namespace } },
      },
    ],
  };
}

export class ApiServiceRole extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: ApiServiceRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:security:ApiServiceRole', name, {}, opts);
    validateApiServiceRoleArgs(args);

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Gatehouse API (${args.namespace}/${args.serviceAccountName}) via IRSA`,
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.oidcIssuer])
          .apply(([arn, issuer]) =>
            JSON.stringify(irsaTrustPolicy(arn, issuer, args.namespace, args.serviceAccountName)),
          ),
        maxSessionDuration: 3600,
        tags: { ...args.tags },
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-cognito`,
      {
        role: role.name,
        policy: pulumi
          .all([args.region, args.accountId, args.sharedPoolArns, args.operatorsPoolArn])
          .apply(([region, accountId, sharedPoolArns, operatorsPoolArn]) =>
            JSON.stringify(
              cognitoAdminPolicy({
                regions: [region, ...(args.additionalSiloRegions ?? [])],
                accountId,
                deployment: args.deployment,
                sharedPoolArns,
                operatorsPoolArn,
              }),
            ),
          ),
      },
      { parent: this },
    );
    if (args.capacityMetricsNamespace) {
      new aws.iam.RolePolicy(
        `${name}-capacity-metrics`,
        { role: role.name, policy: JSON.stringify(capacityMetricsPolicy(args.capacityMetricsNamespace)) },
        { parent: this },
      );
    }

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
