/**
 * Postgres on RDS for Gatehouse: private, encrypted, TLS-only, backed up,
 * Multi-AZ and deletion-protected in production, reachable on 5432 only from
 * the cluster's nodes. Passwords for the master user and the three Gatehouse
 * roles (owner, app, privileged: see tools/db/database-urls.ts) are generated
 * here, kept in Secrets Manager, and turned into the URLs the migration job
 * and the API use. The roles themselves are created by the migration job's
 * bootstrap step (`tools/db/bootstrap.ts`) with the master user.
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
  readonly tags?: Readonly<Record<string, string>>;
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
  /** Secrets Manager secret holding every role's credentials and the connection facts. */
  readonly secretArn: pulumi.Output<string>;
  /** All four URLs; secret outputs. */
  readonly urls: pulumi.Output<DatabaseUrls>;
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

    const password = (kind: string) =>
      new random.RandomPassword(`${name}-${kind}-password`, { length: 40, special: false }, { parent: this });
    const masterPassword = password('master');
    const rolePasswords = {
      owner: password('owner'),
      app: password('app'),
      privileged: password('privileged'),
    } satisfies Record<DatabaseRoleKind, random.RandomPassword>;

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
        username: MASTER_USERNAME,
        password: masterPassword.result,
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
        ...(args.skipFinalSnapshot ? {} : { finalSnapshotIdentifier: `${name}-final` }),
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        performanceInsightsEnabled: true,
        enabledCloudwatchLogsExports: ['postgresql'],
        applyImmediately: false,
        tags,
      },
      { parent: this, protect: args.deletionProtection },
    );

    this.endpoint = this.instance.address;
    this.port = this.instance.port;
    this.securityGroupId = securityGroup.id;

    this.urls = pulumi.secret(
      pulumi
        .all([
          this.instance.address,
          this.instance.port,
          masterPassword.result,
          rolePasswords.owner.result,
          rolePasswords.app.result,
          rolePasswords.privileged.result,
        ])
        .apply(([host, port, master, owner, app, privileged]) => ({
          admin: postgresUrl(MASTER_USERNAME, master, host, port, 'postgres'),
          owner: postgresUrl(DATABASE_ROLE_NAMES.owner, owner, host, port, args.databaseName),
          app: postgresUrl(DATABASE_ROLE_NAMES.app, app, host, port, args.databaseName),
          privileged: postgresUrl(DATABASE_ROLE_NAMES.privileged, privileged, host, port, args.databaseName),
        })),
    );

    const secret = new aws.secretsmanager.Secret(
      `${name}-credentials`,
      {
        description: 'Gatehouse Postgres: master and role credentials, connection facts and URLs',
        recoveryWindowInDays: args.deletionProtection ? 30 : 7,
        tags,
      },
      { parent: this },
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-credentials`,
      {
        secretId: secret.id,
        secretString: pulumi
          .all([this.instance.address, this.instance.port, masterPassword.result, this.urls])
          .apply(([host, port, master, urls]) =>
            JSON.stringify({
              engine: 'postgres',
              host,
              port,
              dbname: args.databaseName,
              username: MASTER_USERNAME,
              password: master,
              roles: DATABASE_ROLE_NAMES,
              urls,
            }),
          ),
      },
      { parent: this },
    );
    this.secretArn = secret.arn;

    this.registerOutputs({
      endpoint: this.endpoint,
      port: this.port,
      securityGroupId: this.securityGroupId,
      secretArn: this.secretArn,
      urls: this.urls,
    });
  }
}
