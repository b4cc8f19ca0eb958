import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ResourceRecorder, installPulumiMocks, isSecretValue, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./database.js');

const base = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-db-a', 'subnet-db-b'],
  clientSecurityGroupId: 'sg-nodes',
  engineVersion: '16',
  allocatedStorageGb: 20,
  databaseName: 'gatehouse',
};

describe('Database', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let prod: InstanceType<Module['Database']>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./database.js');
    prod = new mod.Database('proddb', {
      ...base,
      instanceClass: 'db.r6g.large',
      multiAz: true,
      deletionProtection: true,
      backupRetentionDays: 14,
      skipFinalSnapshot: false,
    });
    const dev = new mod.Database('devdb', {
      ...base,
      instanceClass: 'db.t4g.micro',
      multiAz: false,
      deletionProtection: false,
      backupRetentionDays: 3,
      skipFinalSnapshot: true,
    });
    await Promise.all([valueOf(prod.urls), valueOf(dev.urls), valueOf(prod.secretArn)]);
    await recorder.settled();
  });

  const instance = (name: string) => recorder.one('aws:rds/instance:Instance', `${name}-postgres`).inputs;

  it('is never publicly accessible and lives in the given private subnets', () => {
    expect(instance('proddb')['publiclyAccessible']).toBe(false);
    expect(instance('devdb')['publiclyAccessible']).toBe(false);
    expect(recorder.one('aws:rds/subnetGroup:SubnetGroup', 'proddb-subnets').inputs['subnetIds']).toEqual([
      'subnet-db-a',
      'subnet-db-b',
    ]);
  });

  it('encrypts storage and forces TLS', () => {
    expect(instance('proddb')['storageEncrypted']).toBe(true);
    expect(instance('devdb')['storageEncrypted']).toBe(true);
    const parameters = recorder.one('aws:rds/parameterGroup:ParameterGroup', 'proddb-params').inputs['parameters'];
    expect(parameters).toContainEqual({ name: 'rds.force_ssl', value: '1' });
  });

  it('keeps backups', () => {
    expect(instance('proddb')['backupRetentionPeriod']).toBe(14);
    expect(instance('devdb')['backupRetentionPeriod']).toBe(3);
  });

  it('is Multi-AZ with deletion protection and a final snapshot in production', () => {
    expect(instance('proddb')).toMatchObject({ multiAz: true, deletionProtection: true, skipFinalSnapshot: false });
    expect(instance('devdb')).toMatchObject({ multiAz: false, deletionProtection: false });
  });

  it('admits Postgres only from the node security group', () => {
    const rules = recorder
      .ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')
      .filter((rule) => rule.name.startsWith('proddb-'));
    expect(rules.map((rule) => rule.inputs)).toEqual([
      expect.objectContaining({ referencedSecurityGroupId: 'sg-nodes', ipProtocol: 'tcp', fromPort: 5432, toPort: 5432 }),
    ]);
    expect(rules[0]?.inputs['cidrIpv4']).toBeUndefined();
  });

  it('generates the master password and stores it in Secrets Manager', async () => {
    const password = recorder.one('random:index/randomPassword:RandomPassword', 'proddb-master-password');
    expect(password.inputs['length']).toBeGreaterThanOrEqual(32);
    expect(instance('proddb')['password']).toBe('mock-password-proddb-master-password');
    const version = recorder.one('aws:secretsmanager/secretVersion:SecretVersion', 'proddb-credentials');
    expect(isSecretValue(version.rawInputs['secretString'])).toBe(true);
    const stored = JSON.parse(version.inputs['secretString'] as string) as Record<string, unknown>;
    expect(stored).toMatchObject({ username: 'gatehouse_admin', password: 'mock-password-proddb-master-password' });
  });

  it('builds role URLs that verify TLS against the RDS CA and keep credentials secret', async () => {
    const urls = await valueOf(prod.urls);
    const app = new URL(urls.app);
    expect(app.username).toBe('gatehouse_app');
    expect(app.pathname).toBe('/gatehouse');
    expect(app.searchParams.get('sslmode')).toBe('verify-full');
    expect(app.searchParams.get('sslrootcert')).toBe(mod.RDS_CA_BUNDLE_PATH);
    expect(new URL(urls.admin).pathname).toBe('/postgres');
    expect(await pulumi.isSecret(prod.urls)).toBe(true);
  });

  it('rejects disabled backups and undersized Multi-AZ instances', () => {
    const valid = { instanceClass: 'db.r6g.large', backupRetentionDays: 7, multiAz: true, deletionProtection: true, allocatedStorageGb: 20 };
    expect(() => mod.validateDatabaseArgs({ ...valid, backupRetentionDays: 0 })).toThrow(/0 would turn backups off/);
    expect(() => mod.validateDatabaseArgs({ ...valid, instanceClass: 'db.t4g.micro' })).toThrow(/too small for a Multi-AZ/);
    expect(() => mod.validateDatabaseArgs(valid)).not.toThrow();
  });
});
