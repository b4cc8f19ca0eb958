/**
 * Postgres on RDS for Gatehouse: private, encrypted with a customer-managed
 * key, TLS-only, backed up (automated backups retained after deletion),
 * Multi-AZ and deletion-protected in production, reachable on 5432 only from
 * the cluster's nodes.
 *
 * No database password passes through Pulumi state (row 9):
 * - the master user's password is managed by RDS in Secrets Manager
 *   (`manageMasterUserPassword`), which rotates it every 7 days;
 * - each Gatehouse role (owner, app, privileged: see tools/db/database-urls.ts)
 *   has a Secrets Manager secret whose value is written through the
 *   write-only `secretStringWo` from a password Secrets Manager generates at
 *   apply time; bumping `credentialsVersion` writes new ones (rotation on demand).
 * The migration job and the API read them through External Secrets
 * (external-secrets.ts); the job's bootstrap (`tools/db/bootstrap.ts`) sets
 * each role's password from them with the master user.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { DATABASE_ROLES, type DatabaseRoleKind } from '../../../tools/db/database-urls.js';
import { RDS_CA_BUNDLE_PATH } from '../api-environment.js';

/** Role names the migrations grant to by name: the one definition lives with the database tools. */
export const DATABASE_ROLE_NAMES = DATABASE_ROLES;
export type { DatabaseRoleKind };

export const MASTER_USERNAME = 'gatehouse_admin';

export { RDS_CA_BUNDLE_PATH };

export interface DatabaseArgs {
  readonly vpcId: pulumi.Input<string>;
  /** Isolated database subnets, in at least two zones (RDS requires it even for single-AZ). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The only security group allowed to connect (the EKS nodes'). */
  readonly clientSecurityGroupId: pulumi.Input<string>;
  readonly instanceClass: string;
  readonly engineVersion: string;
  readonly allocatedStorageGb: number;
  readonly maxAllocatedStorageGb?: number;
  readonly databaseName: string;
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  readonly backupRetentionDays: number;
  readonly skipFinalSnapshot: boolean;
  /** The deployment (`gatehouse-<stack>`): prefixes the final snapshot so stacks never collide. */
  readonly deployment: string;
  /** Customer-managed key for storage and Performance Insights. */
  readonly storageKmsKeyArn: pulumi.Input<string>;
  /** Customer-managed key for the Secrets Manager secrets (master and roles). */
  readonly secretsKmsKeyArn: pulumi.Input<string>;
  /** Bump to rotate the three role passwords (new values are generated and written at apply time). */
  readonly credentialsVersion: number;
  readonly tags?: Readonly<Record<string, string>>;
}

/** What each role's secret holds (the shape Secrets Manager's RDS rotation functions also use). */
export interface RoleSecretValue {
  readonly engine: 'postgres';
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  readonly username: string;
  readonly password: string;
}

/** `<deployment>-final-<8 hex>`: unique per stack and per instance, so a second stack or a re-created one never collides. */
export function finalSnapshotIdentifier(deployment: string, suffix: string): string {
  return `${deployment}-final-${suffix}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 255);
}

export class DatabaseArgsError extends Error {
  override readonly name = 'DatabaseArgsError';
}

export function validateDatabaseArgs(
  args: Pick<DatabaseArgs, 'instanceClass' | 'backupRetentionDays' | 'multiAz' | 'deletionProtection' | 'allocatedStorageGb'>,
): void {
  const problems: string[] = [];
  if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(args.instanceClass)) {
    problems.push(`instanceClass "${args.instanceClass}" is not an RDS instance class`);
  }
  if (!Number.isInteger(args.backupRetentionDays) || args.backupRetentionDays < 1 || args.backupRetentionDays > 35) {
    problems.push(`backupRetentionDays must be 1-35 (0 would turn backups off), got ${args.backupRetentionDays}`);
  }
  if (args.allocatedStorageGb < 20) problems.push(`allocatedStorageGb must be at least 20, got ${args.allocatedStorageGb}`);
  if (args.multiAz && /\.(micro|small)$/.test(args.instanceClass)) {
    problems.push(`instanceClass "${args.instanceClass}" is too small for a Multi-AZ production database`);
  }
  if (problems.length > 0) {
    throw new DatabaseArgsError(`invalid Database arguments:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A Postgres URL with TLS verified against the RDS CA bundle shipped in the API image. */
export function postgresUrl(user: string, password: string, host: string, port: number, database: string): string {
  const url = new URL(`postgresql://${host}:${port}/${encodeURIComponent(database)}`);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  url.searchParams.set('sslmode', 'verify-full');
  url.searchParams.set('sslrootcert', RDS_CA_BUNDLE_PATH);
  return url.toString();
}

export interface DatabaseUrls {
  /** The master user, to the `postgres` maintenance database: the migration job's bootstrap only. */
  readonly admin: string;
  /** `gatehouse_owner`: migrations (`DATABASE_MIGRATION_URL`). */
  readonly owner: string;
  /** `gatehouse_app`: the API's request path, subject to row-level security (`DATABASE_URL`). */
  readonly app: string;
  /** `gatehouse_privileged`: the tenants module (`DATABASE_PRIVILEGED_URL`). */
  readonly privileged: string;
}

export class Database extends pulumi.ComponentResource {
  /** Host name of the instance (the writer; it fails over in place when Multi-AZ). */
  readonly endpoint: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly securityGroupId: pulumi.Output<string>;
  /** The RDS-managed secret of the master user (`username`, `password`). */
  readonly masterSecretArn: pulumi.Output<string>;
  /** Same as masterSecretArn (the stack output `databaseSecretArn`). */
  readonly secretArn: pulumi.Output<string>;
  /** One secret per Gatehouse role (see RoleSecretValue). */
  readonly roleSecretArns: Readonly<Record<DatabaseRoleKind, pulumi.Output<string>>>;
  readonly instance: aws.rds.Instance;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:data:Database', name, {}, opts);
    validateDatabaseArgs(args);
    const tags = { ...args.tags };

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: 'Gatehouse Postgres: 5432 from the EKS nodes only', tags },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-nodes`,
      {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: args.clientSecurityGroupId,
        ipProtocol: 'tcp',
        fromPort: 5432,
        toPort: 5432,
        description: 'Postgres from EKS nodes',
        tags,
      },
      { parent: this },
    );
    // No egress rule: RDS initiates nothing.

    const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags }, { parent: this });
    const majorVersion = args.engineVersion.split('.')[0];
    const parameterGroup = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: `postgres${majorVersion}`,
        parameters: [
          { name: 'rds.force_ssl', value: '1' },
          { name: 'log_connections', value: '1' },
          { name: 'log_disconnections', value: '1' },
        ],
        tags,
      },
      { parent: this },
    );

    // Random per instance and kept in state (it is not secret): the final snapshot's name.
    const snapshotSuffix = new random.RandomId(`${name}-final-snapshot`, { byteLength: 4 }, { parent: this });

    this.instance = new aws.rds.Instance(
      `${name}-postgres`,
      {
        engine: 'postgres',
        engineVersion: args.engineVersion,
        instanceClass: args.instanceClass,
        allocatedStorage: args.allocatedStorageGb,
        maxAllocatedStorage: args.maxAllocatedStorageGb,
        storageType: 'gp3',
        storageEncrypted: true,
        kmsKeyId: args.storageKmsKeyArn,
        username: MASTER_USERNAME,
        // RDS generates the master password, keeps it in Secrets Manager and rotates it; Pulumi never sees it.
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: args.secretsKmsKeyArn,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [securityGroup.id],
        parameterGroupName: parameterGroup.name,
        publiclyAccessible: false,
        multiAz: args.multiAz,
        deletionProtection: args.deletionProtection,
        backupRetentionPeriod: args.backupRetentionDays,
        backupWindow: '02:00-03:00',
        maintenanceWindow: 'sun:03:30-sun:04:30',
        copyTagsToSnapshot: true,
        skipFinalSnapshot: args.skipFinalSnapshot,
        ...(args.skipFinalSnapshot
          ? {}
          : { finalSnapshotIdentifier: snapshotSuffix.hex.apply((hex) => finalSnapshotIdentifier(args.deployment, hex)) }),
        // Automated backups outlive the instance (until their retention ends): a deleted database can still be restored.
        deleteAutomatedBackups: false,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.storageKmsKeyArn,
        enabledCloudwatchLogsExports: ['postgresql'],
        applyImmediately: false,
        tags,
      },
      { parent: this, protect: args.deletionProtection },
    );

    this.endpoint = this.instance.address;
    this.port = this.instance.port;
    this.securityGroupId = securityGroup.id;

    this.masterSecretArn = this.instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets?.[0]?.secretArn;
      if (!arn) throw new DatabaseArgsError('RDS did not report the managed master user secret');
      return arn;
    });

    const roleSecretArns = {} as Record<DatabaseRoleKind, pulumi.Output<string>>;
    for (const kind of Object.keys(DATABASE_ROLE_NAMES) as DatabaseRoleKind[]) {
      const secret = new aws.secretsmanager.Secret(
        `${name}-${kind}-credentials`,
        {
          name: `${args.deployment}/database/${kind}`,
          description: `Gatehouse Postgres role ${DATABASE_ROLE_NAMES[kind]}: connection facts and password`,
          kmsKeyId: args.secretsKmsKeyArn,
          recoveryWindowInDays: args.deletionProtection ? 30 : 7,
          tags,
        },
        { parent: this },
      );
      // Generated by Secrets Manager during the update and written write-only: the value never enters state.
      const generated = aws.secretsmanager.getRandomPasswordOutput({ passwordLength: 40, excludePunctuation: true }, { parent: this });
      new aws.secretsmanager.SecretVersion(
        `${name}-${kind}-credentials`,
        {
          secretId: secret.id,
          secretStringWo: pulumi
            .all([this.instance.address, this.instance.port, generated.randomPassword])
            .apply(([host, port, password]) =>
              JSON.stringify({
                engine: 'postgres',
                host,
                port,
                dbname: args.databaseName,
                username: DATABASE_ROLE_NAMES[kind],
                password: password ?? '',
              } satisfies RoleSecretValue),
            ),
          secretStringWoVersion: args.credentialsVersion,
        },
        { parent: this },
      );
      roleSecretArns[kind] = secret.arn;
    }
    this.roleSecretArns = roleSecretArns;
    this.secretArn = this.masterSecretArn;

    this.registerOutputs({
      endpoint: this.endpoint,
      port: this.port,
      securityGroupId: this.securityGroupId,
      masterSecretArn: this.masterSecretArn,
      roleSecretArns: this.roleSecretArns,
    });
  }
}
