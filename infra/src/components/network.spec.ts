import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_AZS, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./network.js');

describe('Network', () => {
  let recorder: ResourceRecorder;
  let mod: Module;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./network.js');
    const sut = new mod.Network('net', {
      cidrBlock: '10.20.0.0/16',
      availabilityZones: MOCK_AZS.slice(0, 2),
      natGateways: 'single',
      clusterName: 'gatehouse-test',
      region: 'eu-west-1',
      flowLogRetentionDays: 30,
    });
    await valueOf(sut.databaseSubnetIds);
    const prod = new mod.Network('prodnet', {
      cidrBlock: '10.30.0.0/16',
      availabilityZones: MOCK_AZS,
      natGateways: 'perAz',
      clusterName: 'gatehouse-prod',
      region: 'eu-west-1',
      flowLogRetentionDays: 365,
    });
    await valueOf(prod.privateSubnetIds);
    await recorder.settled();
  });

  const subnets = (prefix: string) =>
    recorder.ofType('aws:ec2/subnet:Subnet').filter((subnet) => subnet.name.startsWith(prefix));

  it('spans every given availability zone with public, private and database subnets', () => {
    const zonesOf = (kind: string) => subnets(`net-${kind}-`).map((subnet) => subnet.inputs['availabilityZone']);
    expect(zonesOf('public')).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(zonesOf('private')).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(zonesOf('database')).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('gives database subnets no route out of the VPC', () => {
    const databaseRoutes = recorder.one('aws:ec2/routeTable:RouteTable', 'net-database');
    expect(databaseRoutes.inputs['routes'] ?? []).toEqual([]);
  });

  it('sends private subnet egress through a NAT gateway, never the internet gateway', () => {
    const routes = recorder
      .ofType('aws:ec2/routeTable:RouteTable')
      .filter((table) => table.name.startsWith('net-private-'))
      .flatMap((table) => table.inputs['routes'] as Record<string, string>[]);
    expect(routes).toHaveLength(2);
    for (const route of routes) {
      expect(route['natGatewayId']).toEqual(expect.any(String));
      expect(route['gatewayId']).toBeUndefined();
    }
  });

  it('uses one NAT gateway in dev and one per zone in prod', () => {
    const nats = recorder.ofType('aws:ec2/natGateway:NatGateway');
    expect(nats.filter((nat) => nat.name.startsWith('net-'))).toHaveLength(1);
    expect(nats.filter((nat) => nat.name.startsWith('prodnet-'))).toHaveLength(3);
  });

  it('tags subnets for load balancer discovery', () => {
    expect(subnets('net-public-')[0]?.inputs['tags']).toMatchObject({ 'kubernetes.io/role/elb': '1' });
    expect(subnets('net-private-')[0]?.inputs['tags']).toMatchObject({ 'kubernetes.io/role/internal-elb': '1' });
  });

  it('carves non-overlapping subnets out of the /16', () => {
    const layout = mod.subnetLayout('10.20.0.0/16', 3);
    const all = layout.flatMap((zone) => [zone.public, zone.private, zone.database]);
    expect(new Set(all).size).toBe(9);
    expect(layout[2]).toEqual({ public: '10.20.2.0/24', database: '10.20.12.0/24', private: '10.20.96.0/19' });
  });

  it('rejects fewer than two availability zones', () => {
    expect(() => mod.validateNetworkArgs({ cidrBlock: '10.20.0.0/16', availabilityZones: ['eu-west-1a'] })).toThrow(
      /needs 2-6 availability zones/,
    );
  });

  it('rejects a block that is not a /16', () => {
    expect(() => mod.validateNetworkArgs({ cidrBlock: '10.20.0.0/20', availabilityZones: MOCK_AZS })).toThrow(
      /must be a \/16 block/,
    );
  });

  it('logs every VPC flow to CloudWatch with the environment retention (row 10)', () => {
    const flow = recorder.ofType('aws:ec2/flowLog:FlowLog').find((log) => log.name === 'net-flow-logs')?.inputs;
    expect(flow).toMatchObject({ trafficType: 'ALL', logDestinationType: 'cloud-watch-logs' });
    const group = recorder.ofType('aws:cloudwatch/logGroup:LogGroup').find((log) => log.name === 'prodnet-flow-logs')?.inputs;
    expect(group?.['retentionInDays']).toBe(365);
  });

  it('keeps S3, ECR, STS and CloudWatch Logs traffic inside the VPC through endpoints (row 10)', () => {
    const endpoints = recorder.ofType('aws:ec2/vpcEndpoint:VpcEndpoint').filter((endpoint) => endpoint.name.startsWith('net-'));
    const services = endpoints.map((endpoint) => endpoint.inputs['serviceName']).sort();
    expect(services).toEqual(
      ['ecr.api', 'ecr.dkr', 'logs', 's3', 'sts'].map((service) => `com.amazonaws.eu-west-1.${service}`),
    );
    const s3 = endpoints.find((endpoint) => endpoint.inputs['serviceName'].endsWith('.s3'))?.inputs;
    expect(s3?.['vpcEndpointType']).toBe('Gateway');
    expect(s3?.['routeTableIds']).toHaveLength(2);
    for (const endpoint of endpoints.filter((candidate) => candidate.inputs['vpcEndpointType'] === 'Interface')) {
      expect(endpoint.inputs['privateDnsEnabled']).toBe(true);
    }
  });
});
