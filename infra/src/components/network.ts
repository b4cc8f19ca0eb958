/**
 * The VPC: per availability zone a public subnet (load balancers, NAT
 * gateways), a private subnet (EKS nodes; egress through NAT) and an isolated
 * database subnet (RDS; no route to the internet at all).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export type NatGatewayStrategy = 'single' | 'perAz';

export interface NetworkArgs {
  /** A /16 IPv4 block, e.g. `10.20.0.0/16`. */
  readonly cidrBlock: string;
  /** The zones to span (at least two); resolved before the component so subnets are known at plan time. */
  readonly availabilityZones: readonly string[];
  readonly natGateways: NatGatewayStrategy;
  /** The EKS cluster name, for the subnet tags the AWS load balancer integration looks for. */
  readonly clusterName: string;
  /** Region of the VPC endpoints' service names. */
  readonly region: string;
  /** Retention of the VPC flow logs. */
  readonly flowLogRetentionDays: number;
  /** Customer-managed key for the flow log group. */
  readonly logsKmsKeyArn?: pulumi.Input<string>;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Interface endpoints, so image pulls, IRSA token exchange and log shipping
 * stay inside the VPC instead of crossing the NAT gateways (cost, and one
 * less dependency on the internet path). S3 (ECR's layers) is a gateway endpoint.
 */
export const INTERFACE_ENDPOINT_SERVICES = ['ecr.api', 'ecr.dkr', 'sts', 'logs'] as const;

export class NetworkArgsError extends Error {
  override readonly name = 'NetworkArgsError';
}

export const MIN_AVAILABILITY_ZONES = 2;
export const MAX_AVAILABILITY_ZONES = 6;

export function validateNetworkArgs(args: Pick<NetworkArgs, 'cidrBlock' | 'availabilityZones'>): void {
  const problems: string[] = [];
  if (parseSlash16(args.cidrBlock) === undefined) {
    problems.push(`cidrBlock "${args.cidrBlock}" must be a /16 block such as 10.20.0.0/16`);
  }
  const zones = args.availabilityZones;
  if (zones.length < MIN_AVAILABILITY_ZONES || zones.length > MAX_AVAILABILITY_ZONES) {
    problems.push(
      `the VPC needs ${MIN_AVAILABILITY_ZONES}-${MAX_AVAILABILITY_ZONES} availability zones (EKS and Multi-AZ RDS require two), got ${zones.length}`,
    );
  }
  if (new Set(zones).size !== zones.length) problems.push('availability zones must be distinct');
  if (problems.length > 0) {
    throw new NetworkArgsError(`invalid Network arguments:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function parseSlash16(cidr: string): [number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(cidr);
  if (!match) return undefined;
  const [a, b] = [Number(match[1]), Number(match[2])];
  return a <= 255 && b <= 255 ? [a, b] : undefined;
}

export interface SubnetLayout {
  readonly public: string;
  readonly private: string;
  readonly database: string;
}

/**
 * Carves the /16: public /24s at x.x.0-5.0, database /24s at x.x.10-15.0,
 * private /19s (8190 addresses each: VPC CNI gives every pod a VPC address)
 * from x.x.32.0 upwards.
 */
export function subnetLayout(cidrBlock: string, zoneCount: number): SubnetLayout[] {
  const prefix = parseSlash16(cidrBlock);
  if (!prefix) throw new NetworkArgsError(`cidrBlock "${cidrBlock}" must be a /16 block`);
  const [a, b] = prefix;
  return Array.from({ length: zoneCount }, (_, index) => ({
    public: `${a}.${b}.${index}.0/24`,
    database: `${a}.${b}.${10 + index}.0/24`,
    private: `${a}.${b}.${32 * (index + 1)}.0/19`,
  }));
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidrBlock: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly databaseSubnetIds: pulumi.Output<string[]>;
  /** The database subnets' CIDR blocks (the API's NetworkPolicy allows Postgres egress to these only). */
  readonly databaseSubnetCidrs: readonly string[];
  /** The public subnets' CIDR blocks: where the ALB's addresses live (the API's trusted proxies). */
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  readonly natGatewayCount: number;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:network:Network', name, {}, opts);
    validateNetworkArgs(args);
    const tags = { ...args.tags };
    const layout = subnetLayout(args.cidrBlock, args.availabilityZones.length);

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: args.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: `${name}-vpc` } },
      { parent: this },
    );
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, { parent: this });
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: gateway.id }], tags: { ...tags, Name: `${name}-public` } },
      { parent: this },
    );

    const clusterTag = `kubernetes.io/cluster/${args.clusterName}`;
    const publicSubnets = args.availabilityZones.map((zone, index) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${zone}`,
        {
          vpcId: vpc.id,
          availabilityZone: zone,
          cidrBlock: layout[index]?.public,
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-public-${zone}`, 'kubernetes.io/role/elb': '1', [clusterTag]: 'shared' },
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${zone}`,
        { subnetId: subnet.id, routeTableId: publicRoutes.id },
        { parent: this },
      );
      return subnet;
    });

    const natZones = args.natGateways === 'perAz' ? args.availabilityZones : args.availabilityZones.slice(0, 1);
    const natGateways = natZones.map((zone, index) => {
      const address = new aws.ec2.Eip(`${name}-nat-${zone}`, { domain: 'vpc', tags }, { parent: this });
      return new aws.ec2.NatGateway(
        `${name}-nat-${zone}`,
        { allocationId: address.id, subnetId: publicSubnets[index]!.id, tags: { ...tags, Name: `${name}-nat-${zone}` } },
        { parent: this, dependsOn: [gateway] },
      );
    });
    this.natGatewayCount = natGateways.length;

    const privateRouteTables: aws.ec2.RouteTable[] = [];
    const privateSubnets = args.availabilityZones.map((zone, index) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-private-${zone}`,
        {
          vpcId: vpc.id,
          availabilityZone: zone,
          cidrBlock: layout[index]?.private,
          // karpenter.sh/discovery: the subnets Karpenter launches nodes into (karpenter.ts).
          tags: {
            ...tags,
            Name: `${name}-private-${zone}`,
            'kubernetes.io/role/internal-elb': '1',
            [clusterTag]: 'shared',
            'karpenter.sh/discovery': args.clusterName,
          },
        },
        { parent: this },
      );
      const nat = natGateways[args.natGateways === 'perAz' ? index : 0]!;
      const routes = new aws.ec2.RouteTable(
        `${name}-private-${zone}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }], tags: { ...tags, Name: `${name}-private-${zone}` } },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${zone}`, { subnetId: subnet.id, routeTableId: routes.id }, { parent: this });
      privateRouteTables.push(routes);
      return subnet;
    });

    // Isolated: the route table has only the implicit local route.
    const databaseRoutes = new aws.ec2.RouteTable(
      `${name}-database`,
      { vpcId: vpc.id, tags: { ...tags, Name: `${name}-database` } },
      { parent: this },
    );
    const databaseSubnets = args.availabilityZones.map((zone, index) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-database-${zone}`,
        {
          vpcId: vpc.id,
          availabilityZone: zone,
          cidrBlock: layout[index]?.database,
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-database-${zone}` },
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-database-${zone}`,
        { subnetId: subnet.id, routeTableId: databaseRoutes.id },
        { parent: this },
      );
      return subnet;
    });

    // ---- flow logs (row 10): every accepted and rejected flow, kept for the environment's retention.
    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      {
        name: `/gatehouse/${args.clusterName}/vpc-flow-logs`,
        retentionInDays: args.flowLogRetentionDays,
        ...(args.logsKmsKeyArn ? { kmsKeyId: args.logsKmsKeyArn } : {}),
        tags,
      },
      { parent: this },
    );
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogRole.name,
        policy: flowLogGroup.arn.apply((arn) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
                Resource: [arn, `${arn}:*`],
              },
            ],
          }),
        ),
      },
      { parent: this },
    );
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: vpc.id,
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: 60,
        tags,
      },
      { parent: this },
    );

    // ---- VPC endpoints (row 10)
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRouteTables.map((table) => table.id),
        tags: { ...tags, Name: `${name}-s3` },
      },
      { parent: this },
    );
    const endpointSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: vpc.id,
        description: 'Interface VPC endpoints: HTTPS from inside the VPC',
        ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: [args.cidrBlock], description: 'HTTPS from the VPC' }],
        tags,
      },
      { parent: this },
    );
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace('.', '-')}`,
        {
          vpcId: vpc.id,
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: privateSubnets.map((subnet) => subnet.id),
          securityGroupIds: [endpointSecurityGroup.id],
          tags: { ...tags, Name: `${name}-${service}` },
        },
        { parent: this },
      );
    }

    this.vpcId = vpc.id;
    this.vpcCidrBlock = vpc.cidrBlock;
    this.publicSubnetIds = pulumi.all(publicSubnets.map((subnet) => subnet.id));
    this.privateSubnetIds = pulumi.all(privateSubnets.map((subnet) => subnet.id));
    this.databaseSubnetIds = pulumi.all(databaseSubnets.map((subnet) => subnet.id));
    this.databaseSubnetCidrs = layout.map((subnets) => subnets.database);
    this.publicSubnetCidrs = layout.map((subnets) => subnets.public);
    this.privateSubnetCidrs = layout.map((subnets) => subnets.private);

    this.registerOutputs({
      vpcId: this.vpcId,
      vpcCidrBlock: this.vpcCidrBlock,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      databaseSubnetIds: this.databaseSubnetIds,
    });
  }
}
