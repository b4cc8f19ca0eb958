/**
 * Karpenter (row 8): node capacity for the API follows its pods. When the
 * autoscaler adds replicas that do not fit, Karpenter launches a right-sized
 * on-demand node in whichever of the stack's zones the pod can go to, and
 * consolidates empty or under-used nodes away. Spot interruptions, rebalance
 * recommendations and scheduled maintenance reach it through an SQS queue so
 * nodes are drained before AWS takes them.
 *
 * Its nodes get the same instance-metadata rules as the system group: IMDSv2
 * required, hop limit 1 (see NODE_METADATA_OPTIONS).
 */
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { irsaTrustPolicy } from './api-service-role.js';
import { NODE_METADATA_OPTIONS, nodeRootVolume } from './cluster.js';

/** Karpenter's chart (oci://public.ecr.aws/karpenter), v1.14.0 of July 2026: its compatibility matrix must list the cluster version before an upgrade (infra/README.md). */
export const KARPENTER_CHART_VERSION = '1.14.0';
export const KARPENTER_NAMESPACE = 'kube-system';
export const KARPENTER_SERVICE_ACCOUNT = 'karpenter';
/** Tag Karpenter's EC2NodeClass selects subnets by (set on the private subnets). */
export const KARPENTER_DISCOVERY_TAG = 'karpenter.sh/discovery';

export interface KarpenterArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly accountId: string;
  readonly oidcProviderArn: pulumi.Input<string>;
  readonly oidcIssuer: pulumi.Input<string>;
  /** The zones nodes may be launched in: all of the stack's. */
  readonly availabilityZones: readonly string[];
  readonly instanceCategories: readonly string[];
  readonly diskSizeGb: number;
  /** Upper bound on the vCPUs Karpenter may run, so a runaway autoscaler cannot run up the bill. */
  readonly cpuLimit: number;
  readonly replicas: number;
  readonly tags?: Readonly<Record<string, string>>;
}

type PolicyDocument = { Version: '2012-10-17'; Statement: Record<string, unknown>[] };

/**
 * The controller's permissions: launch and terminate only instances (and
 * their launch templates) tagged for this cluster, pass only its own node
 * role, manage only instance profiles tagged for this cluster, read the
 * interruption queue.
 */
export function karpenterControllerPolicy(args: {
  clusterName: string;
  region: string;
  accountId: string;
  nodeRoleArn: string;
  queueArn: string;
}): PolicyDocument {
  const clusterTag = `kubernetes.io/cluster/${args.clusterName}`;
  const ownedOnCreate = { StringEquals: { [`aws:RequestTag/${clusterTag}`]: 'owned' } };
  const owned = { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned' } };
  const regional = (resource: string) => `arn:aws:ec2:${args.region}:*:${resource}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'LaunchFromSharedResources',
        Effect: 'Allow',
        Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
        Resource: [regional('image/*'), regional('snapshot/*'), regional('security-group/*'), regional('subnet/*'), regional('capacity-reservation/*')],
      },
      {
        Sid: 'LaunchOnlyTaggedForThisCluster',
        Effect: 'Allow',
        Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
        Resource: [regional('fleet/*'), regional('instance/*'), regional('volume/*'), regional('network-interface/*'), regional('launch-template/*'), regional('spot-instances-request/*')],
        Condition: ownedOnCreate,
      },
      {
        Sid: 'UseItsLaunchTemplates',
        Effect: 'Allow',
        Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
        Resource: regional('launch-template/*'),
        Condition: owned,
      },
      {
        Sid: 'TagOnLaunch',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: [regional('fleet/*'), regional('instance/*'), regional('volume/*'), regional('network-interface/*'), regional('launch-template/*'), regional('spot-instances-request/*')],
        Condition: {
          ...ownedOnCreate,
          'ForAllValues:StringEquals': { 'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'] },
        },
      },
      {
        Sid: 'ChangeOnlyItsOwn',
        Effect: 'Allow',
        Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate', 'ec2:CreateTags'],
        Resource: [regional('instance/*'), regional('launch-template/*')],
        Condition: owned,
      },
      {
        Sid: 'Read',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeCapacityReservations',
          'ec2:DescribeImages',
          'ec2:DescribeInstances',
          'ec2:DescribeInstanceTypeOfferings',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplates',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSpotPriceHistory',
          'ec2:DescribeSubnets',
          'pricing:GetProducts',
        ],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': args.region } },
      },
      {
        Sid: 'ResolveAmiAliases',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: `arn:aws:ssm:${args.region}::parameter/aws/service/*`,
      },
      {
        Sid: 'InterruptionQueue',
        Effect: 'Allow',
        Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        Resource: args.queueArn,
      },
      {
        Sid: 'PassOnlyTheNodeRole',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: args.nodeRoleArn,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
      {
        Sid: 'InstanceProfilesTaggedForThisCluster',
        Effect: 'Allow',
        Action: ['iam:CreateInstanceProfile', 'iam:TagInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
        Resource: `arn:aws:iam::${args.accountId}:instance-profile/*`,
        Condition: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned', [`aws:RequestTag/${clusterTag}`]: 'owned' } },
      },
      {
        Sid: 'ReadInstanceProfiles',
        Effect: 'Allow',
        Action: ['iam:GetInstanceProfile', 'iam:ListInstanceProfiles'],
        Resource: '*',
      },
      {
        Sid: 'DiscoverCluster',
        Effect: 'Allow',
        Action: 'eks:DescribeCluster',
        Resource: `arn:aws:eks:${args.region}:${args.accountId}:cluster/${args.clusterName}`,
      },
    ],
  };
}

/** The EC2NodeClass: AL2023, private subnets and the cluster security group by tag, IMDSv2 hop limit 1, encrypted disks. */
export function ec2NodeClassSpec(args: { clusterName: string; nodeRoleName: string; diskSizeGb: number }): Record<string, unknown> {
  return {
    role: args.nodeRoleName,
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { [KARPENTER_DISCOVERY_TAG]: args.clusterName } }],
    securityGroupSelectorTerms: [{ tags: { 'aws:eks:cluster-name': args.clusterName } }],
    metadataOptions: { ...NODE_METADATA_OPTIONS },
    blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { ...nodeRootVolume(args.diskSizeGb), volumeSize: `${args.diskSizeGb}Gi` } }],
    tags: { [`kubernetes.io/cluster/${args.clusterName}`]: 'owned' },
  };
}

/** The NodePool: on-demand, current-generation general-purpose instances, in every zone of the stack. */
export function nodePoolSpec(args: { zones: readonly string[]; instanceCategories: readonly string[]; cpuLimit: number }): Record<string, unknown> {
  return {
    template: {
      metadata: { labels: { 'gatehouse.io/pool': 'general' } },
      spec: {
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'general' },
        requirements: [
          { key: 'topology.kubernetes.io/zone', operator: 'In', values: [...args.zones] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
          { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: [...args.instanceCategories] },
          { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['5'] },
        ],
        // Nodes are replaced at least monthly, so AMI and kernel fixes reach them.
        expireAfter: '720h',
      },
    },
    limits: { cpu: String(args.cpuLimit) },
    disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '5m', budgets: [{ nodes: '10%' }] },
  };
}

/** EventBridge events Karpenter handles from its queue. */
const INTERRUPTION_EVENTS: Record<string, { source: string[]; 'detail-type': string[] }> = {
  'spot-interruption': { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
  rebalance: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
  'instance-state': { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
  'scheduled-change': { source: ['aws.health'], 'detail-type': ['AWS Health Event'] },
};

export class Karpenter extends pulumi.ComponentResource {
  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:compute:Karpenter', name, {}, opts);
    const tags = { ...args.tags };
    const parent = { parent: this };
    // Kubernetes children inherit the cluster's provider from this component's `providers`.
    const k8sOpts = { parent: this };

    const nodeRole = new aws.iam.Role(
      `${name}-node-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        tags,
      },
      parent,
    );
    for (const policy of ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonSSMManagedInstanceCore']) {
      new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${policy}` }, parent);
    }
    // Nodes join through an access entry (the cluster uses API authentication mode).
    new aws.eks.AccessEntry(`${name}-node-access`, { clusterName: args.clusterName, principalArn: nodeRole.arn, type: 'EC2_LINUX', tags }, parent);

    const queue = new aws.sqs.Queue(
      `${name}-interruptions`,
      { messageRetentionSeconds: 300, sqsManagedSseEnabled: true, tags },
      parent,
    );
    new aws.sqs.QueuePolicy(
      `${name}-interruptions`,
      {
        queueUrl: queue.url,
        policy: queue.arn.apply((arn) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] }, Action: 'sqs:SendMessage', Resource: arn },
              { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: arn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
            ],
          }),
        ),
      },
      parent,
    );
    for (const [event, pattern] of Object.entries(INTERRUPTION_EVENTS)) {
      const rule = new aws.cloudwatch.EventRule(`${name}-${event}`, { eventPattern: JSON.stringify(pattern), tags }, parent);
      new aws.cloudwatch.EventTarget(`${name}-${event}`, { rule: rule.name, arn: queue.arn }, parent);
    }

    const controllerRole = new aws.iam.Role(
      `${name}-controller-role`,
      {
        description: 'Karpenter controller via IRSA',
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.oidcIssuer])
          .apply(([arn, issuer]) => JSON.stringify(irsaTrustPolicy(arn, issuer, KARPENTER_NAMESPACE, KARPENTER_SERVICE_ACCOUNT))),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-controller-policy`,
      {
        role: controllerRole.name,
        policy: pulumi.all([nodeRole.arn, queue.arn]).apply(([nodeRoleArn, queueArn]) =>
          JSON.stringify(
            karpenterControllerPolicy({ clusterName: args.clusterName, region: args.region, accountId: args.accountId, nodeRoleArn, queueArn }),
          ),
        ),
      },
      parent,
    );

    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: 'karpenter',
        chart: 'oci://public.ecr.aws/karpenter/karpenter',
        version: KARPENTER_CHART_VERSION,
        namespace: KARPENTER_NAMESPACE,
        atomic: true,
        values: {
          replicas: args.replicas,
          serviceAccount: { name: KARPENTER_SERVICE_ACCOUNT, annotations: { 'eks.amazonaws.com/role-arn': controllerRole.arn } },
          settings: { clusterName: args.clusterName, interruptionQueue: queue.name },
          // The controller runs on the managed system nodes, never on capacity it manages itself.
          nodeSelector: { 'gatehouse.io/pool': 'system' },
          controller: { resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } } },
        },
      },
      k8sOpts,
    );

    const nodeClass = new k8s.apiextensions.CustomResource(
      `${name}-nodeclass`,
      {
        apiVersion: 'karpenter.k8s.aws/v1',
        kind: 'EC2NodeClass',
        metadata: { name: 'general' },
        spec: nodeRole.name.apply((nodeRoleName) =>
          ec2NodeClassSpec({ clusterName: args.clusterName, nodeRoleName, diskSizeGb: args.diskSizeGb }),
        ),
      },
      { ...k8sOpts, dependsOn: [release] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-nodepool`,
      {
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodePool',
        metadata: { name: 'general' },
        spec: nodePoolSpec({ zones: args.availabilityZones, instanceCategories: args.instanceCategories, cpuLimit: args.cpuLimit }),
      },
      { ...k8sOpts, dependsOn: [release, nodeClass] },
    );
    this.registerOutputs({});
  }
}
