import { parseTierConfiguration } from '@gatehouse/tiers';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveStackSettings } from './settings.js';
import { MOCK_ACCOUNT_ID, MOCK_AZS, MOCK_REGION, type ResourceRecorder, installPulumiMocks, valueOf } from './testing/pulumi-mocks.js';

type Module = typeof import('./program.js');

const settings = resolveStackSettings(
  'prod',
  {
    publicBaseDomain: 'gatehouse.example.com',
    apiImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/gatehouse-api',
    apiImageTag: '2.0.0',
    clusterPublicAccessCidrs: ['203.0.113.0/24'],
    nodeGroup: { instanceTypes: ['m6i.large'], minSize: 3, desiredSize: 3, maxSize: 6 },
    database: { instanceClass: 'db.r6g.large' },
    ingress: { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' },
  },
  () =>
    parseTierConfiguration({
      tiers: [
        { name: 'basic', model: 'pool' },
        { name: 'standard', model: 'bridge' },
        { name: 'premium', model: 'silo' },
      ],
    }),
);

describe('Gatehouse program (prod stack)', () => {
  let recorder: ResourceRecorder;
  let outputs: ReturnType<Module['createGatehouse']>;

  beforeAll(async () => {
    recorder = installPulumiMocks({ stack: 'prod' });
    const { createGatehouse } = await import('./program.js');
    outputs = createGatehouse({ settings, region: MOCK_REGION, accountId: MOCK_ACCOUNT_ID, availabilityZones: MOCK_AZS });
    await Promise.all([valueOf(outputs.apiUrl), valueOf(outputs.sharedPools), valueOf(outputs.databaseEndpoint)]);
    await recorder.settled();
  });

  it('exports pool ids, issuers, the API URL and the database endpoint', async () => {
    const [ids, issuers, url, endpoint] = await Promise.all([
      valueOf(outputs.poolIds),
      valueOf(outputs.issuers),
      valueOf(outputs.apiUrl),
      valueOf(outputs.databaseEndpoint),
    ]);
    expect(Object.keys(ids).sort()).toEqual(['basic', 'operators', 'standard']);
    expect(issuers['basic']).toBe(`https://cognito-idp.${MOCK_REGION}.amazonaws.com/${ids['basic']}`);
    expect(url).toBe('https://api.gatehouse.example.com');
    expect(endpoint).toMatch(/\.rds\.amazonaws\.com$/);
  });

  it('hands the API the Pulumi-created pools through GATEHOUSE_SHARED_POOLS in its ConfigMap', async () => {
    const data = recorder.one('kubernetes:core/v1:ConfigMap').inputs['data'] as Record<string, string>;
    const ids = await valueOf(outputs.poolIds);
    const shared = JSON.parse(data['GATEHOUSE_SHARED_POOLS'] as string) as Record<string, { userPoolId: string }>;
    expect(shared['basic']?.userPoolId).toBe(ids['basic']);
    expect(data).toMatchObject({ GATEHOUSE_MODE: 'aws', NODE_ENV: 'production', AWS_REGION: MOCK_REGION });
    expect(JSON.parse(data['GATEHOUSE_TIERS'] as string)).toEqual(settings.tiers);
  });

  it('spans three zones and makes the database Multi-AZ and deletion-protected in prod', () => {
    expect(recorder.ofType('aws:ec2/natGateway:NatGateway')).toHaveLength(3);
    expect(recorder.one('aws:rds/instance:Instance').inputs).toMatchObject({ multiAz: true, deletionProtection: true });
    expect(recorder.one('eks:index:Cluster').inputs['deletionProtection']).toBe(true);
  });

  it('admits Postgres only from the cluster node security group', () => {
    const rule = recorder.one('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').inputs;
    expect(rule['referencedSecurityGroupId']).toBe('sg-eks-cluster');
  });

  it('annotates the API service account with the IRSA role trusted for that very service account', () => {
    const role = recorder.ofType('aws:iam/role:Role').find((candidate) => candidate.name === 'api-role');
    const trust = JSON.parse(role?.inputs['assumeRolePolicy'] as string);
    expect(JSON.stringify(trust)).toContain('system:serviceaccount:gatehouse:gatehouse-api');
    const sa = recorder.one('kubernetes:core/v1:ServiceAccount').inputs;
    expect(sa['metadata']).toMatchObject({ name: 'gatehouse-api', namespace: 'gatehouse' });
    expect(sa['metadata']['annotations']['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:mock:/);
  });
});
