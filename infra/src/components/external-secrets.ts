/**
 * External Secrets Operator (row 9): the database credentials live in Secrets
 * Manager only (RDS-managed master secret, one secret per Gatehouse role, see
 * database.ts); the operator copies them into the two Kubernetes Secrets the
 * API and the migration job read, building the connection URLs from a
 * template, and refreshes them when Secrets Manager changes.
 *
 * The operator itself holds no AWS permissions: each SecretStore names a
 * service account of its namespace, whose IRSA role may read exactly
 * Gatehouse's database secrets and challenge handle keys (secretsReaderPolicy below).
 */
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { RDS_CA_BUNDLE_PATH } from '../api-environment.js';
import { irsaTrustPolicy } from './api-service-role.js';

/** external-secrets chart (charts.external-secrets.io), serving the external-secrets.io/v1 API. */
export const EXTERNAL_SECRETS_CHART_VERSION = '0.19.2';
export const EXTERNAL_SECRETS_NAMESPACE = 'external-secrets';
/** The service account the API namespace's SecretStore authenticates as. */
export const SECRETS_READER_SERVICE_ACCOUNT = 'gatehouse-secrets';

type PolicyDocument = { Version: '2012-10-17'; Statement: Record<string, unknown>[] };

/** Read these secrets, decrypt with this key only through Secrets Manager, nothing else. */
export function secretsReaderPolicy(secretArns: readonly string[], kmsKeyArn: string, region: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadGatehouseSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: [...secretArns] },
      {
        Sid: 'DecryptThroughSecretsManagerOnly',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: kmsKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      },
    ],
  };
}

/** A Postgres URL template for ESO (Go text/template); the password is URL-escaped since RDS-generated ones contain punctuation. */
export function postgresUrlTemplate(user: string, passwordKey: string, host: string, port: number, database: string): string {
  return `postgresql://${user}:{{ .${passwordKey} | urlquery }}@${host}:${port}/${database}?sslmode=verify-full&sslrootcert=${RDS_CA_BUNDLE_PATH}`;
}

export class ExternalSecretsOperator extends pulumi.ComponentResource {
  /** Resolves once the operator (and its CRDs) are installed. */
  readonly ready: pulumi.Output<string>;

  constructor(name: string, args: { replicas: number }, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:security:ExternalSecretsOperator', name, {}, opts);
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: 'external-secrets',
        chart: 'external-secrets',
        version: EXTERNAL_SECRETS_CHART_VERSION,
        repositoryOpts: { repo: 'https://charts.external-secrets.io' },
        namespace: EXTERNAL_SECRETS_NAMESPACE,
        createNamespace: true,
        atomic: true,
        values: {
          installCRDs: true,
          replicaCount: args.replicas,
          podDisruptionBudget: { enabled: args.replicas > 1, maxUnavailable: 1 },
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
          webhook: { resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } } },
          certController: { resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } } },
        },
      },
      { parent: this },
    );
    this.ready = release.status.apply((status) => status.status);
    this.registerOutputs({ ready: this.ready });
  }
}

export interface SecretsReaderRoleArgs {
  readonly oidcProviderArn: pulumi.Input<string>;
  readonly oidcIssuer: pulumi.Input<string>;
  readonly namespace: string;
  readonly region: string;
  readonly secretArns: pulumi.Input<pulumi.Input<string>[]>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The IAM role of the API namespace's secrets reader. */
export class SecretsReaderRole extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: SecretsReaderRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:security:SecretsReaderRole', name, {}, opts);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Reads Gatehouse's database secrets and challenge handle keys for External Secrets (${args.namespace}/${SECRETS_READER_SERVICE_ACCOUNT})`,
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.oidcIssuer])
          .apply(([arn, issuer]) => JSON.stringify(irsaTrustPolicy(arn, issuer, args.namespace, SECRETS_READER_SERVICE_ACCOUNT))),
        maxSessionDuration: 3600,
        tags: { ...args.tags },
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([args.secretArns, args.kmsKeyArn])
          .apply(([arns, key]) => JSON.stringify(secretsReaderPolicy(arns, key, args.region))),
      },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
