import { beforeAll, describe, expect, it } from 'vitest';
import { type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./cluster.js');

const sizing = { instanceTypes: ['m6i.large'], minSize: 2, desiredSize: 3, maxSize: 6, diskSizeGb: 50 };
const valid = {
  clusterName: 'gatehouse-test',
  nodeGroup: sizing,
  kubernetesVersion: '1.33',
  publicAccessCidrs: ['203.0.113.0/24'],
  isProduction: true,
};

// `eks.Cluster` and `eks.ManagedNodeGroup` are multi-language components: under
// mocks they are single registrations (their children live in the eks plugin),
// so these tests check what we ask of them, and the mocks return the outputs
// (OIDC provider, node security group) the real component would.
describe('Cluster', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let sut: InstanceType<Module['Cluster']>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./cluster.js');
    sut = new mod.Cluster('cluster', {
      ...valid,
      vpcId: 'vpc-1',
      privateSubnetIds: ['subnet-private-a', 'subnet-private-b'],
      publicSubnetIds: ['subnet-public-a', 'subnet-public-b'],
      deletionProtection: true,
      secretsKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/eks',
      logRetentionDays: 365,
    });
    await valueOf(sut.oidcProviderArn);
    await recorder.settled();
  });

  it('creates an OIDC provider for IRSA and exposes it', async () => {
    expect(recorder.one('eks:index:Cluster').inputs['createOidcProvider']).toBe(true);
    expect(await valueOf(sut.oidcProviderArn)).toMatch(/^arn:aws:iam::\d{12}:oidc-provider\//);
  });

  it('puts nodes in the private subnets only, without public addresses', () => {
    const cluster = recorder.one('eks:index:Cluster');
    const nodes = recorder.one('eks:index:ManagedNodeGroup');
    expect(nodes.inputs['subnetIds']).toEqual(['subnet-private-a', 'subnet-private-b']);
    expect(cluster.inputs['nodeAssociatePublicIpAddress']).toBe(false);
    expect(cluster.inputs['skipDefaultNodeGroup']).toBe(true);
  });

  it('sizes the managed node group from the configuration', () => {
    const nodes = recorder.one('eks:index:ManagedNodeGroup');
    expect(nodes.inputs['scalingConfig']).toEqual({ minSize: 2, desiredSize: 3, maxSize: 6 });
    expect(nodes.inputs['instanceTypes']).toEqual(['m6i.large']);
  });

  it('enables deletion protection, access entries, audit logs and network policy enforcement', () => {
    expect(recorder.one('eks:index:Cluster').inputs).toMatchObject({
      deletionProtection: true,
      authenticationMode: 'API',
      enabledClusterLogTypes: expect.arrayContaining(['audit']),
      vpcCniOptions: { enableNetworkPolicy: true },
      publicAccessCidrs: ['203.0.113.0/24'],
    });
  });

  it('stays on standard support (EKS upgrades it instead of billing extended support) (row 5)', () => {
    expect(recorder.one('eks:index:Cluster').inputs['upgradePolicy']).toEqual({ supportType: 'STANDARD' });
  });

  it('envelope-encrypts Kubernetes Secrets with the customer-managed key (row 9)', () => {
    expect(recorder.one('eks:index:Cluster').inputs['encryptionConfigKeyArn']).toBe('arn:aws:kms:eu-west-1:123456789012:key/eks');
  });

  it('creates the control-plane log group first, with a retention (row 10)', () => {
    const group = recorder.one('aws:cloudwatch/logGroup:LogGroup').inputs;
    expect(group).toEqual(expect.objectContaining({ name: '/aws/eks/gatehouse-test/cluster', retentionInDays: 365 }));
  });

  it('launches system nodes from a template with IMDSv2 required and a hop limit of 1 (row 8)', () => {
    const template = recorder.one('aws:ec2/launchTemplate:LaunchTemplate').inputs;
    expect(template['metadataOptions']).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' });
    expect(template['blockDeviceMappings'][0]['ebs']).toMatchObject({ encrypted: 'true', volumeType: 'gp3', volumeSize: 50 });
    const nodes = recorder.one('eks:index:ManagedNodeGroup').inputs;
    expect(nodes['launchTemplate']).toEqual({ id: expect.any(String), version: '1' });
    expect(nodes['diskSize']).toBeUndefined();
  });

  it('installs metrics-server so the API autoscaler has CPU metrics', () => {
    expect(recorder.one('aws:eks/addon:Addon', 'cluster-metrics-server').inputs).toMatchObject({ addonName: 'metrics-server', clusterName: 'gatehouse-test' });
  });

  it('installs cert-manager, which issues and renews the API pods’ serving certificate (row 2)', () => {
    expect(recorder.one('aws:eks/addon:Addon', 'cluster-cert-manager').inputs).toMatchObject({ addonName: 'cert-manager', clusterName: 'gatehouse-test' });
  });

  it('rejects node sizes out of order', () => {
    expect(() => mod.validateClusterArgs({ ...valid, nodeGroup: { ...sizing, minSize: 4, desiredSize: 3 } })).toThrow(
      /minSize <= desiredSize <= maxSize, got 4 \/ 3 \/ 6/,
    );
  });

  it('rejects a node group without nodes or beyond the cap', () => {
    expect(() =>
      mod.validateClusterArgs({ ...valid, isProduction: false, nodeGroup: { ...sizing, minSize: 0, desiredSize: 0 } }),
    ).toThrow(/minSize must be at least 1, got 0/);
    expect(() => mod.validateClusterArgs({ ...valid, nodeGroup: { ...sizing, maxSize: 500 } })).toThrow(
      /maxSize must be at most 100/,
    );
  });

  it('rejects instance types too small or malformed', () => {
    expect(() => mod.validateClusterArgs({ ...valid, nodeGroup: { ...sizing, instanceTypes: ['t3.micro'] } })).toThrow(
      /"t3.micro" is too small/,
    );
    expect(() => mod.validateClusterArgs({ ...valid, nodeGroup: { ...sizing, instanceTypes: ['large'] } })).toThrow(
      /"large" is not an EC2 instance type/,
    );
  });

  it('refuses a single-node production cluster and a world-open API endpoint in production', () => {
    expect(() =>
      mod.validateClusterArgs({ ...valid, nodeGroup: { ...sizing, minSize: 1 }, publicAccessCidrs: ['0.0.0.0/0'] }),
    ).toThrow(/minSize must be at least 2 in production[\s\S]*must not include 0\.0\.0\.0\/0/);
  });

  it('accepts the same sizes outside production', () => {
    expect(() =>
      mod.validateClusterArgs({
        ...valid,
        isProduction: false,
        nodeGroup: { ...sizing, minSize: 1 },
        publicAccessCidrs: ['0.0.0.0/0'],
      }),
    ).not.toThrow();
  });
});
