/**
 * The EKS cluster: control plane in the VPC (standard support only, Secrets
 * envelope-encrypted with a customer-managed key, control-plane logs with a
 * retention), a small managed "system" node group for the cluster's own
 * controllers, Karpenter for everything else across the zones (see
 * karpenter.ts), an IAM OIDC provider so service accounts can assume IAM
 * roles (IRSA), and a Kubernetes provider bound to the cluster.
 *
 * Every node is launched with IMDSv2 required and a hop limit of 1: a pod
 * cannot reach the node's instance metadata (and so the node role's
 * credentials); workloads get AWS credentials through IRSA only.
 */
import * as aws from '@pulumi/aws';
import * as eks from '@pulumi/eks';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

export interface NodeGroupSizingArgs {
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  readonly diskSizeGb: number;
}

export interface ClusterArgs {
  readonly clusterName: string;
  readonly vpcId: pulumi.Input<string>;
  /** Nodes run here. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Internet-facing load balancers go here. */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly kubernetesVersion: string;
  readonly nodeGroup: NodeGroupSizingArgs;
  /** Who may reach the public API server endpoint (kubectl, CI). Nodes use the private endpoint. */
  readonly publicAccessCidrs: readonly string[];
  readonly deletionProtection: boolean;
  /** Customer-managed KMS key for envelope encryption of Kubernetes Secrets. */
  readonly secretsKmsKeyArn: pulumi.Input<string>;
  /** Retention of the control-plane log group (`/aws/eks/<name>/cluster`). */
  readonly logRetentionDays: number;
  /** Production refuses a single node: a PodDisruptionBudget could then never be honoured during upgrades. */
  readonly isProduction: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

export class ClusterArgsError extends Error {
  override readonly name = 'ClusterArgsError';
}

export const MAX_NODES = 100;
export const MIN_NODE_DISK_GB = 20;

/**
 * Instance sizes too small for the API next to the cluster's own add-ons
 * (VPC CNI limits pods per node by ENIs: a t3.small takes 11 pods in all).
 */
const TOO_SMALL = /\.(nano|micro|small)$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

export function validateClusterArgs(
  args: Pick<ClusterArgs, 'clusterName' | 'nodeGroup' | 'kubernetesVersion' | 'publicAccessCidrs' | 'isProduction'>,
): void {
  const problems: string[] = [];
  const { instanceTypes, minSize, desiredSize, maxSize, diskSizeGb } = args.nodeGroup;
  if (!/^[a-z][a-z0-9-]{2,99}$/.test(args.clusterName)) {
    problems.push(`cluster name "${args.clusterName}" must be 3-100 lower-case letters, digits or dashes`);
  }
  if (!/^1\.\d+$/.test(args.kubernetesVersion)) {
    problems.push(`kubernetesVersion "${args.kubernetesVersion}" must look like 1.33`);
  }
  if (instanceTypes.length === 0) problems.push('nodeGroup.instanceTypes must name at least one instance type');
  for (const type of instanceTypes) {
    if (!INSTANCE_TYPE.test(type)) problems.push(`nodeGroup.instanceTypes: "${type}" is not an EC2 instance type`);
    else if (TOO_SMALL.test(type)) {
      problems.push(`nodeGroup.instanceTypes: "${type}" is too small for the API and cluster add-ons; use medium or larger`);
    }
  }
  for (const [key, value] of Object.entries({ minSize, desiredSize, maxSize })) {
    if (!Number.isInteger(value) || value < 0) problems.push(`nodeGroup.${key} must be a whole number, got ${value}`);
  }
  if (minSize < 1) problems.push(`nodeGroup.minSize must be at least 1, got ${minSize}`);
  if (args.isProduction && minSize < 2) {
    problems.push(`nodeGroup.minSize must be at least 2 in production (one node cannot be drained safely), got ${minSize}`);
  }
  if (!(minSize <= desiredSize && desiredSize <= maxSize)) {
    problems.push(`nodeGroup sizes must satisfy minSize <= desiredSize <= maxSize, got ${minSize} / ${desiredSize} / ${maxSize}`);
  }
  if (maxSize > MAX_NODES) problems.push(`nodeGroup.maxSize must be at most ${MAX_NODES}, got ${maxSize}`);
  if (!Number.isInteger(diskSizeGb) || diskSizeGb < MIN_NODE_DISK_GB) {
    problems.push(`nodeGroup.diskSizeGb must be at least ${MIN_NODE_DISK_GB}, got ${diskSizeGb}`);
  }
  if (args.publicAccessCidrs.length === 0) {
    problems.push('publicAccessCidrs must list at least one block (use the CI runners and operators networks)');
  }
  if (args.isProduction && args.publicAccessCidrs.includes('0.0.0.0/0')) {
    problems.push('publicAccessCidrs must not include 0.0.0.0/0 in production');
  }
  if (problems.length > 0) {
    throw new ClusterArgsError(`invalid Cluster arguments:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The managed node group's scaling and instance settings, from the validated sizing. */
export function managedNodeGroupSettings(sizing: NodeGroupSizingArgs): {
  instanceTypes: string[];
  scalingConfig: { minSize: number; desiredSize: number; maxSize: number };
} {
  return {
    instanceTypes: [...sizing.instanceTypes],
    scalingConfig: { minSize: sizing.minSize, desiredSize: sizing.desiredSize, maxSize: sizing.maxSize },
  };
}

/**
 * Instance metadata for every node (managed group and Karpenter): IMDSv2
 * only, and a response hop limit of 1 so a containerised process (one hop
 * further) gets no answer at all.
 */
export const NODE_METADATA_OPTIONS = {
  httpEndpoint: 'enabled',
  httpTokens: 'required',
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: 'disabled',
} as const;

/** The root volume of every node: gp3, encrypted. */
export function nodeRootVolume(diskSizeGb: number): { volumeSize: number; volumeType: 'gp3'; encrypted: boolean; deleteOnTermination: boolean } {
  return { volumeSize: diskSizeGb, volumeType: 'gp3', encrypted: true, deleteOnTermination: true };
}

const NODE_POLICIES = [
  'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
  'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
] as const;

export class Cluster extends pulumi.ComponentResource {
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  /** ARN of the cluster's IAM OIDC provider (the `Federated` principal of IRSA trust policies). */
  readonly oidcProviderArn: pulumi.Output<string>;
  /** The OIDC issuer without `https://` (the prefix of IRSA condition keys). */
  readonly oidcIssuer: pulumi.Output<string>;
  /**
   * The security group the nodes' ENIs (hence pods) carry: with
   * `skipDefaultSecurityGroups`, the EKS-created cluster security group,
   * which managed node groups attach.
   */
  readonly nodeSecurityGroupId: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  /** The Kubernetes version the control plane runs (the rendered-manifest check validates against its schemas). */
  readonly kubernetesVersion: string;
  readonly nodeRoleArn: pulumi.Output<string>;
  readonly controlPlaneLogGroupName: pulumi.Output<string>;
  /** cert-manager (its CRDs): Certificates can be created once it is installed. */
  readonly certManager: aws.eks.Addon;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:compute:Cluster', name, {}, opts);
    validateClusterArgs(args);
    const tags = { ...args.tags };

    // EKS writes control-plane logs to this group; created first so it has a retention (EKS would create it without one).
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(
      `${name}-control-plane-logs`,
      { name: `/aws/eks/${args.clusterName}/cluster`, retentionInDays: args.logRetentionDays, tags },
      { parent: this },
    );

    const cluster = new eks.Cluster(
      `${name}-eks`,
      {
        name: args.clusterName,
        version: args.kubernetesVersion,
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        publicSubnetIds: args.publicSubnetIds,
        nodeAssociatePublicIpAddress: false,
        skipDefaultNodeGroup: true,
        skipDefaultSecurityGroups: true,
        createOidcProvider: true,
        authenticationMode: eks.AuthenticationMode.Api,
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        publicAccessCidrs: [...args.publicAccessCidrs],
        enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
        deletionProtection: args.deletionProtection,
        // At the end of standard support EKS upgrades the cluster instead of billing extended support.
        upgradePolicy: { supportType: 'STANDARD' },
        encryptionConfigKeyArn: args.secretsKmsKeyArn,
        // The API's NetworkPolicy is only enforced when the VPC CNI enforces policies.
        vpcCniOptions: { enableNetworkPolicy: true },
        tags,
      },
      { parent: this, dependsOn: [controlPlaneLogs] },
    );

    const nodeRole = new aws.iam.Role(
      `${name}-node-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        tags,
      },
      { parent: this },
    );
    const attachments = NODE_POLICIES.map(
      (policyArn) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-node-${policyArn.split('/').pop()}`,
          { role: nodeRole.name, policyArn },
          { parent: this },
        ),
    );

    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-system-nodes`,
      {
        description: 'Gatehouse system nodes: IMDSv2 only, hop limit 1, encrypted gp3 root volume',
        metadataOptions: { ...NODE_METADATA_OPTIONS },
        blockDeviceMappings: [
          {
            deviceName: '/dev/xvda',
            ebs: { volumeSize: args.nodeGroup.diskSizeGb, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
          },
        ],
        tagSpecifications: [{ resourceType: 'instance', tags: { ...tags, Name: `${args.clusterName}-system` } }],
        tags,
      },
      { parent: this },
    );

    // The system pool runs the cluster's controllers (Karpenter, the load balancer controller,
    // CoreDNS, metrics-server); Karpenter adds capacity for the API across the zones.
    const nodeGroup = new eks.ManagedNodeGroup(
      `${name}-nodes`,
      {
        cluster,
        nodeRole,
        subnetIds: args.privateSubnetIds,
        ...managedNodeGroupSettings(args.nodeGroup),
        amiType: 'AL2023_x86_64_STANDARD',
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
        labels: { 'gatehouse.io/pool': 'system' },
        tags,
      },
      { parent: this, dependsOn: attachments },
    );

    // The API's HorizontalPodAutoscaler reads CPU from the metrics API.
    new aws.eks.Addon(
      `${name}-metrics-server`,
      { clusterName: args.clusterName, addonName: 'metrics-server', resolveConflictsOnUpdate: 'OVERWRITE', tags },
      { parent: this, dependsOn: [cluster, nodeGroup] },
    );

    // Issues and renews the API pods' serving certificate (row 2: TLS from the ALB to the pods).
    // An EKS community add-on: AWS builds and patches it, versioned with the cluster like metrics-server.
    this.certManager = new aws.eks.Addon(
      `${name}-cert-manager`,
      { clusterName: args.clusterName, addonName: 'cert-manager', resolveConflictsOnUpdate: 'OVERWRITE', tags },
      { parent: this, dependsOn: [cluster, nodeGroup] },
    );

    this.clusterName = pulumi.output(args.clusterName);
    this.kubernetesVersion = args.kubernetesVersion;
    this.nodeRoleArn = nodeRole.arn;
    this.controlPlaneLogGroupName = controlPlaneLogs.name;
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.oidcIssuer = cluster.oidcIssuer;
    this.nodeSecurityGroupId = cluster.nodeSecurityGroupId;
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true },
      { parent: this },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      kubeconfig: this.kubeconfig,
      oidcProviderArn: this.oidcProviderArn,
      oidcIssuer: this.oidcIssuer,
      nodeSecurityGroupId: this.nodeSecurityGroupId,
    });
  }
}
