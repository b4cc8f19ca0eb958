/**
 * The parts every Cognito Lambda trigger of the deployment is made of, in one
 * place so they cannot drift apart (cognito-triggers.ts, cognito-events-trigger.ts,
 * user-migration-trigger.ts, cognito-token-exchange-triggers.ts):
 *
 * - an execution role that may write its logs and nothing else (a component adds
 *   its own narrow policies to it);
 * - per function: its log group (created first, with the retention), the function
 *   (ARM, the triggers' runtime and timeout, 128 MB) and the permission that lets
 *   Cognito — and only for user pools of this account and region — invoke it;
 * - for a shared secret: a Secrets Manager secret under the deployment's KMS key
 *   holding `{"<property>": value}`, which External Secrets copies into the API.
 *
 * Resource names are the components' own (passed in), so existing stacks keep
 * their resources.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** Lambda runtime of the triggers (the AWS SDK v3 is part of it). */
export const TRIGGER_RUNTIME = 'nodejs22.x';
/** Cognito waits at most 5 s for a trigger; fail well before. */
export const TRIGGER_TIMEOUT_SECONDS = 3;

type Tags = Readonly<Record<string, string>>;

/** `<name>-role` with `<name>-logs`: the AWS-managed basic execution policy (CloudWatch Logs only). */
export function triggerRole(parent: pulumi.Resource, name: string, tags: Tags): aws.iam.Role {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags,
    },
    { parent },
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-logs`,
    { role: role.name, policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' },
    { parent },
  );
  return role;
}

export interface TriggerFunctionArgs {
  /** Pulumi resource names of the log group, the function and Cognito's invoke permission. */
  readonly resourceNames: { readonly logGroup: string; readonly function: string; readonly permission: string };
  /** The function's AWS name (`<deployment>-<handler>`). */
  readonly functionName: string;
  readonly role: aws.iam.Role;
  readonly code: pulumi.asset.AssetArchive;
  readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly timeoutSeconds?: number;
  readonly region: pulumi.Input<string>;
  readonly accountId: pulumi.Input<string>;
  readonly logRetentionDays?: number;
  readonly tags: Tags;
}

export function triggerFunction(parent: pulumi.Resource, args: TriggerFunctionArgs): aws.lambda.Function {
  const logGroup = new aws.cloudwatch.LogGroup(
    args.resourceNames.logGroup,
    { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays ?? 30, tags: args.tags },
    { parent },
  );
  const fn = new aws.lambda.Function(
    args.resourceNames.function,
    {
      name: args.functionName,
      role: args.role.arn,
      runtime: TRIGGER_RUNTIME,
      architectures: ['arm64'],
      handler: 'index.handler',
      code: args.code,
      timeout: args.timeoutSeconds ?? TRIGGER_TIMEOUT_SECONDS,
      memorySize: 128,
      ...(args.environment ? { environment: { variables: args.environment } } : {}),
      tags: args.tags,
    },
    { parent, dependsOn: [logGroup] },
  );
  // Only Cognito, only for user pools of this account and region (silo pools included).
  new aws.lambda.Permission(
    args.resourceNames.permission,
    {
      action: 'lambda:InvokeFunction',
      function: fn.name,
      principal: 'cognito-idp.amazonaws.com',
      sourceArn: pulumi.interpolate`arn:aws:cognito-idp:${args.region}:${args.accountId}:userpool/*`,
      sourceAccount: args.accountId,
    },
    { parent },
  );
  return fn;
}

export interface SharedSecretArgs {
  /** The secret's name in Secrets Manager (`<deployment>/…`). */
  readonly secretName: string;
  readonly description: string;
  /** The JSON property the value is stored under (External Secrets reads it). */
  readonly property: string;
  readonly value: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly deletionProtection: boolean;
  readonly tags: Tags;
}

/** `<name>-secret` and its version: `{"<property>": value}`, the value kept secret in state. */
export function sharedSecret(parent: pulumi.Resource, name: string, args: SharedSecretArgs): aws.secretsmanager.Secret {
  const secret = new aws.secretsmanager.Secret(
    `${name}-secret`,
    {
      name: args.secretName,
      description: args.description,
      kmsKeyId: args.kmsKeyArn,
      recoveryWindowInDays: args.deletionProtection ? 30 : 7,
      tags: args.tags,
    },
    { parent },
  );
  new aws.secretsmanager.SecretVersion(
    `${name}-secret`,
    { secretId: secret.id, secretString: pulumi.secret(args.value.apply((value) => JSON.stringify({ [args.property]: value }))) },
    { parent },
  );
  return secret;
}
