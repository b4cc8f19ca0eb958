/**
 * The API's edge (rows 1 and 2): an internet-facing Application Load Balancer
 * owned by this program, replacing ingress-nginx (retired in March 2026) and
 * the in-tree NLB:
 * - an HTTPS listener with the ACM certificate and a TLS 1.3/1.2 policy, and a
 *   rule that forwards only the API's host name (anything else gets 404);
 * - an AWS WAF web ACL of AWS-managed rule groups plus a per-address rate limit;
 * - an IP target group: the ALB sends to pod addresses directly, so the only
 *   proxy in front of the API is the ALB. The AWS Load Balancer Controller
 *   keeps the target group's members in step with the API's endpoints through
 *   a TargetGroupBinding (api-workload.ts); it can do nothing else.
 *
 * The ALB appends the client's address to X-Forwarded-For and drops header
 * fields that are not valid HTTP. The API believes X-Forwarded-For only from
 * the ALB's subnets (`TRUSTED_PROXY_CIDRS`, program.ts).
 *
 * Because Pulumi owns the load balancer and target group, their CloudWatch
 * dimensions are known here, so monitoring.ts can alarm on them.
 */
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { API_PORT } from '../api-environment.js';
import { irsaTrustPolicy } from './api-service-role.js';

/** aws-load-balancer-controller chart (eks-charts), app v2.14; only its TargetGroupBinding reconciler is used. */
export const LOAD_BALANCER_CONTROLLER_CHART_VERSION = '1.14.0';
export const LOAD_BALANCER_CONTROLLER_NAMESPACE = 'kube-system';
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = 'aws-load-balancer-controller';
/** TLS 1.3 and 1.2 with forward-secret AEAD ciphers only. */
export const ALB_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06';

/** AWS-managed WAF rule groups on the API's web ACL, in priority order after the rate limit. */
export const WAF_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

export interface EdgeArgs {
  readonly name: string;
  readonly clusterName: pulumi.Input<string>;
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  readonly vpcCidr: string;
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security group of the pods (the EKS cluster security group): it admits the ALB on the API port. */
  readonly podSecurityGroupId: pulumi.Input<string>;
  readonly oidcProviderArn: pulumi.Input<string>;
  readonly oidcIssuer: pulumi.Input<string>;
  /** The API's public host name: the only Host the ALB forwards. */
  readonly host: string;
  /** ACM certificate; without it (dev only) the ALB listens on plain HTTP. */
  readonly certificateArn?: string;
  /** Requests per client address per 5 minutes before the WAF blocks it. */
  readonly rateLimitPer5Minutes: number;
  readonly deletionProtection: boolean;
  readonly replicas: number;
  readonly tags?: Readonly<Record<string, string>>;
}

type PolicyDocument = { Version: '2012-10-17'; Statement: Record<string, unknown>[] };

/** The controller only registers and deregisters pod addresses in the API's target group. */
export function loadBalancerControllerPolicy(targetGroupArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadWhatItReconciles',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTags',
          'elasticloadbalancing:DescribeTargetGroupAttributes',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
        ],
        Resource: '*',
      },
      {
        Sid: 'RegisterApiPodsOnly',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: targetGroupArn,
      },
    ],
  };
}

/** Helm values: IRSA service account, this cluster and VPC, replicas with a PDB, no IngressClass, no Service webhook. */
export function loadBalancerControllerValues(args: {
  clusterName: string;
  region: string;
  vpcId: string;
  roleArn: string;
  replicas: number;
}): Record<string, unknown> {
  return {
    clusterName: args.clusterName,
    region: args.region,
    vpcId: args.vpcId,
    replicaCount: args.replicas,
    serviceAccount: {
      create: true,
      name: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
      annotations: { 'eks.amazonaws.com/role-arn': args.roleArn },
    },
    // Ingresses and LoadBalancer Services are not how this cluster gets load balancers.
    createIngressClassResource: false,
    enableServiceMutatorWebhook: false,
    enableWaf: false,
    enableWafv2: false,
    enableShield: false,
    podDisruptionBudget: { maxUnavailable: 1 },
    nodeSelector: { 'gatehouse.io/pool': 'system' },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  };
}

/** The web ACL's rules: the per-address rate limit first, then the managed groups. */
export function webAclRules(rateLimitPer5Minutes: number): aws.types.input.wafv2.WebAclRule[] {
  return [
    {
      name: 'rate-limit-per-address',
      priority: 0,
      action: { block: {} },
      statement: { rateBasedStatement: { limit: rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: 'rate-limit-per-address', sampledRequestsEnabled: true },
    },
    ...WAF_MANAGED_RULE_GROUPS.map((group, index) => ({
      name: group,
      priority: index + 1,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: group,
          // The API accepts bodies up to BODY_LIMIT_BYTES (64 KiB) and answers 413 itself;
          // the common rule set's 8 KiB body rule would block legitimate requests first.
          ...(group === 'AWSManagedRulesCommonRuleSet'
            ? { ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] }
            : {}),
        },
      },
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: group, sampledRequestsEnabled: true },
    })),
  ];
}

export class Edge extends pulumi.ComponentResource {
  readonly webAclArn: pulumi.Output<string>;
  readonly webAclName: pulumi.Output<string>;
  readonly targetGroupArn: pulumi.Output<string>;
  /** `app/<name>/<id>` and `targetgroup/<name>/<id>`: the CloudWatch dimensions. */
  readonly loadBalancerArnSuffix: pulumi.Output<string>;
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  readonly loadBalancerDnsName: pulumi.Output<string>;
  /** Resolves once the controller is installed (the TargetGroupBinding CRD exists). */
  readonly controllerReady: pulumi.Output<string>;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:network:Edge', name, {}, opts);
    const tags = { ...args.tags };
    const parent = { parent: this };
    const tls = args.certificateArn !== undefined;
    const listenerPort = tls ? 443 : 80;

    const albSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-alb`,
      {
        vpcId: args.vpcId,
        description: `Gatehouse API ALB: ${tls ? 'HTTPS' : 'HTTP (dev)'} from anywhere, to the API port in the VPC`,
        ingress: [{ protocol: 'tcp', fromPort: listenerPort, toPort: listenerPort, cidrBlocks: ['0.0.0.0/0'], description: 'clients' }],
        egress: [{ protocol: 'tcp', fromPort: API_PORT, toPort: API_PORT, cidrBlocks: [args.vpcCidr], description: 'API pods' }],
        tags,
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-alb-to-pods`,
      {
        securityGroupId: args.podSecurityGroupId,
        referencedSecurityGroupId: albSecurityGroup.id,
        ipProtocol: 'tcp',
        fromPort: API_PORT,
        toPort: API_PORT,
        description: 'Gatehouse API from its ALB',
        tags,
      },
      parent,
    );

    const loadBalancer = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        name: args.name,
        loadBalancerType: 'application',
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [albSecurityGroup.id],
        ipAddressType: 'ipv4',
        // A client cannot smuggle a second X-Forwarded-For or other malformed headers past the ALB.
        dropInvalidHeaderFields: true,
        xffHeaderProcessingMode: 'append',
        desyncMitigationMode: 'strictest',
        idleTimeout: 60,
        enableDeletionProtection: args.deletionProtection,
        tags,
      },
      parent,
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-api`,
      {
        targetType: 'ip',
        port: API_PORT,
        // End-to-end TLS (row 2): the pods serve HTTPS with their cert-manager certificate. The ALB
        // encrypts to the target without verifying its certificate (AWS's documented behaviour).
        protocol: 'HTTPS',
        vpcId: args.vpcId,
        deregistrationDelay: 20,
        healthCheck: { path: '/health/ready', port: 'traffic-port', protocol: 'HTTPS', matcher: '200', interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
        tags,
      },
      parent,
    );
    const listener = new aws.lb.Listener(
      `${name}-listener`,
      {
        loadBalancerArn: loadBalancer.arn,
        port: listenerPort,
        protocol: tls ? 'HTTPS' : 'HTTP',
        ...(tls ? { certificateArn: args.certificateArn, sslPolicy: ALB_SSL_POLICY } : {}),
        defaultActions: [{ type: 'fixed-response', fixedResponse: { statusCode: '404', contentType: 'text/plain', messageBody: 'not found' } }],
        tags,
      },
      parent,
    );
    new aws.lb.ListenerRule(
      `${name}-api-host`,
      {
        listenerArn: listener.arn,
        priority: 10,
        conditions: [{ hostHeader: { values: [args.host] } }],
        actions: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
        tags,
      },
      parent,
    );

    const webAcl = new aws.wafv2.WebAcl(
      `${name}-waf`,
      {
        scope: 'REGIONAL',
        description: 'Gatehouse API: AWS managed rules and a per-address rate limit',
        defaultAction: { allow: {} },
        rules: webAclRules(args.rateLimitPer5Minutes),
        visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: `${args.name}-waf`, sampledRequestsEnabled: true },
        tags,
      },
      parent,
    );
    new aws.wafv2.WebAclAssociation(`${name}-waf`, { resourceArn: loadBalancer.arn, webAclArn: webAcl.arn }, parent);

    const role = new aws.iam.Role(
      `${name}-lbc-role`,
      {
        description: 'AWS Load Balancer Controller (TargetGroupBinding only) via IRSA',
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.oidcIssuer])
          .apply(([arn, issuer]) =>
            JSON.stringify(irsaTrustPolicy(arn, issuer, LOAD_BALANCER_CONTROLLER_NAMESPACE, LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT)),
          ),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-lbc-policy`,
      { role: role.name, policy: targetGroup.arn.apply((arn) => JSON.stringify(loadBalancerControllerPolicy(arn))) },
      parent,
    );
    const release = new k8s.helm.v3.Release(
      `${name}-lbc`,
      {
        name: 'aws-load-balancer-controller',
        chart: 'aws-load-balancer-controller',
        version: LOAD_BALANCER_CONTROLLER_CHART_VERSION,
        repositoryOpts: { repo: 'https://aws.github.io/eks-charts' },
        namespace: LOAD_BALANCER_CONTROLLER_NAMESPACE,
        atomic: true,
        values: pulumi
          .all([args.clusterName, args.vpcId, role.arn])
          .apply(([clusterName, vpcId, roleArn]) =>
            loadBalancerControllerValues({ clusterName, region: args.region, vpcId, roleArn, replicas: args.replicas }),
          ),
      },
      // Inherits the cluster's Kubernetes provider from this component's `providers`.
      parent,
    );

    this.webAclArn = webAcl.arn;
    this.webAclName = webAcl.name;
    this.targetGroupArn = targetGroup.arn;
    this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.loadBalancerDnsName = loadBalancer.dnsName;
    this.controllerReady = release.name;
    this.registerOutputs({
      webAclArn: this.webAclArn,
      targetGroupArn: this.targetGroupArn,
      loadBalancerDnsName: this.loadBalancerDnsName,
    });
  }
}
