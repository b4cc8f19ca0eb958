/**
 * The IAM role the API's Kubernetes service account assumes (IRSA). Only that
 * service account, in that namespace, presenting a token for STS, can assume
 * it; and it can only do the Cognito administration Gatehouse performs.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * Cognito actions the API's identity adapter and provisioning state machine
 * call. Anything not here (ListUserPools, SetUserPoolMfaConfig on other
 * pools' behalf via the console, etc.) is denied by omission.
 */
export const COGNITO_ADMIN_ACTIONS = [
  // users
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:AdminAddUserToGroup',
  'cognito-idp:AdminRemoveUserFromGroup',
  'cognito-idp:AdminListGroupsForUser',
  'cognito-idp:AdminUpdateUserAttributes',
  'cognito-idp:AdminUserGlobalSignOut',
  'cognito-idp:AdminInitiateAuth',
  'cognito-idp:AdminRespondToAuthChallenge',
  'cognito-idp:AdminSetUserPassword',
  'cognito-idp:ListUsers',
  'cognito-idp:ListGroups',
  // silo pools and per-tenant clients, groups, federation and domains
  'cognito-idp:DeleteUserPool',
  'cognito-idp:UpdateUserPool',
  'cognito-idp:DescribeUserPool',
  'cognito-idp:SetUserPoolMfaConfig',
  'cognito-idp:GetUserPoolMfaConfig',
  'cognito-idp:CreateUserPoolClient',
  'cognito-idp:DeleteUserPoolClient',
  'cognito-idp:DescribeUserPoolClient',
  'cognito-idp:ListUserPoolClients',
  'cognito-idp:UpdateUserPoolClient',
  'cognito-idp:CreateGroup',
  'cognito-idp:DeleteGroup',
  'cognito-idp:GetGroup',
  'cognito-idp:CreateIdentityProvider',
  'cognito-idp:DeleteIdentityProvider',
  'cognito-idp:DescribeIdentityProvider',
  'cognito-idp:UpdateIdentityProvider',
  'cognito-idp:CreateUserPoolDomain',
  'cognito-idp:DeleteUserPoolDomain',
  'cognito-idp:DescribeUserPoolDomain',
  'cognito-idp:TagResource',
  'cognito-idp:ListTagsForResource',
] as const;

/**
 * Pool-level changes the API must never make to the pools Pulumi owns (the
 * tier pools and the operators' pool): it manages their users and bridge
 * clients, but the pools themselves change only through `pulumi up`.
 */
export const SHARED_POOL_DENIED_ACTIONS = [
  'cognito-idp:DeleteUserPool',
  'cognito-idp:UpdateUserPool',
  'cognito-idp:SetUserPoolMfaConfig',
  'cognito-idp:DeleteGroup',
  'cognito-idp:CreateUserPoolDomain',
  'cognito-idp:DeleteUserPoolDomain',
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
  /** ARNs of the Pulumi-managed shared pools, protected by an explicit deny. */
  readonly sharedPoolArns: pulumi.Input<pulumi.Input<string>[]>;
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

/** The API's Cognito permissions in one account, in the stack's region and any silo regions. */
export function cognitoAdminPolicy(
  regions: readonly string[],
  accountId: string,
  sharedPoolArns: readonly string[],
): PolicyDocument {
  if (regions.length === 0) throw new ApiServiceRoleArgsError('cognitoAdminPolicy needs at least one region');
  const unique = [...new Set(regions)];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ManageGatehousePools',
        Effect: 'Allow',
        Action: [...COGNITO_ADMIN_ACTIONS],
        // Silo pools are created at run time with ids nobody knows in advance,
        // so the narrowest resource is every pool of this account and region.
        Resource: unique.map((region) => `arn:aws:cognito-idp:${region}:${accountId}:userpool/*`),
      },
      {
        Sid: 'CreateSiloPoolsInThisRegion',
        Effect: 'Allow',
        // Creating a pool cannot be narrowed to `userpool/*` or further: IAM
        // authorises CreateUserPool before the pool (and so its ARN) exists,
        // and the service authorisation reference lists no resource type for
        // it (nor for ListUserPools, which provisioning uses to resume
        // idempotently), so `Resource` must be "*". The region condition
        // keeps it from creating pools anywhere else.
        Action: ['cognito-idp:CreateUserPool', 'cognito-idp:ListUserPools'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': unique } },
      },
      ...(sharedPoolArns.length === 0
        ? []
        : [
            {
              Sid: 'SharedPoolsChangeOnlyThroughPulumi',
              Effect: 'Deny',
              Action: [...SHARED_POOL_DENIED_ACTIONS],
              Resource: [...sharedPoolArns],
            },
          ]),
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
          .all([args.region, args.accountId, args.sharedPoolArns])
          .apply(([region, accountId, arns]) =>
            JSON.stringify(cognitoAdminPolicy([region, ...(args.additionalSiloRegions ?? [])], accountId, arns)),
          ),
      },
      { parent: this },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
