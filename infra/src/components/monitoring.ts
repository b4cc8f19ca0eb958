/**
 * Operations (row 10): container and node logs shipped to CloudWatch by the
 * Amazon CloudWatch Observability add-on (Fluent Bit + Container Insights)
 * into log groups with the environment's retention, and alarms that notify
 * an SNS topic:
 * - the API answers 5xx (from its targets or from the ALB itself), is slow
 *   (p99 latency), or has no healthy target;
 * - Cognito request rates reach 80 % of the account's quota in the
 *   categories Gatehouse uses (AWS/Usage with SERVICE_QUOTA: the warning
 *   comes before the API starts getting TooManyRequestsException);
 * - user pools per region or app clients per shared pool reach 80 % of
 *   their quota (row 7: metrics the API publishes, see COGNITO_CAPACITY_NAMESPACE);
 * - Postgres runs hot, short of storage or of connections.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { irsaTrustPolicy } from './api-service-role.js';

export const OBSERVABILITY_NAMESPACE = 'amazon-cloudwatch';
export const OBSERVABILITY_SERVICE_ACCOUNT = 'cloudwatch-agent';
/** Container Insights log groups the add-on writes (`/aws/containerinsights/<cluster>/<kind>`). */
export const CONTAINER_LOG_KINDS = ['application', 'dataplane', 'host', 'performance'] as const;
/** Cognito quota categories Gatehouse's traffic falls in (sign-in, sign-up/invitations, resets). */
export const COGNITO_QUOTA_CATEGORIES = ['UserAuthentication', 'UserCreation', 'UserAccountRecovery'] as const;

/**
 * The Cognito quota headroom the API publishes (apps/api/src/tenants/cognito-capacity-metrics.ts,
 * PutMetricData every 5 minutes): percent used of the user-pool quota per region and of the
 * app-clients quota per shared pool. `monitoring.spec.ts` checks these names against the API's.
 */
export const COGNITO_CAPACITY_NAMESPACE = 'Gatehouse/Cognito';
export const COGNITO_CAPACITY_METRICS = {
  userPools: { metricName: 'UserPoolQuotaPercent', dimension: 'Region' },
  appClients: { metricName: 'AppClientQuotaPercent', dimension: 'Pool' },
} as const;

export interface MonitoringArgs {
  readonly deployment: string;
  readonly region: string;
  readonly clusterName: string;
  readonly oidcProviderArn: pulumi.Input<string>;
  readonly oidcIssuer: pulumi.Input<string>;
  readonly databaseInstanceId: pulumi.Input<string>;
  readonly databaseAllocatedStorageGb: number;
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  readonly targetGroupArnSuffix: pulumi.Input<string>;
  readonly webAclName: pulumi.Input<string>;
  /** Where the API may create pools (the stack's region and siloRegions) and the shared pools' keys (tiers + operators). */
  readonly cognitoCapacity: { readonly regions: readonly string[]; readonly sharedPools: readonly string[] };
  readonly logRetentionDays: number;
  readonly alarmEmail?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface AlarmThresholds {
  readonly api5xxPer5Minutes: number;
  readonly apiP99LatencySeconds: number;
  readonly cognitoQuotaPercent: number;
  readonly databaseCpuPercent: number;
  readonly databaseFreeStorageFraction: number;
  readonly databaseConnections: number;
}

export const ALARM_THRESHOLDS: AlarmThresholds = {
  api5xxPer5Minutes: 10,
  apiP99LatencySeconds: 1,
  cognitoQuotaPercent: 80,
  databaseCpuPercent: 80,
  databaseFreeStorageFraction: 0.1,
  databaseConnections: 400,
};

export class Monitoring extends pulumi.ComponentResource {
  readonly alarmTopicArn: pulumi.Output<string>;
  readonly alarmNames: pulumi.Output<string>[];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:operations:Monitoring', name, {}, opts);
    const tags = { ...args.tags };
    const parent = { parent: this };

    // ---- logs: groups first (with retention), then the add-on that writes to them.
    const logGroups = CONTAINER_LOG_KINDS.map(
      (kind) =>
        new aws.cloudwatch.LogGroup(
          `${name}-${kind}`,
          { name: `/aws/containerinsights/${args.clusterName}/${kind}`, retentionInDays: args.logRetentionDays, tags },
          parent,
        ),
    );
    const agentRole = new aws.iam.Role(
      `${name}-agent-role`,
      {
        description: 'CloudWatch agent and Fluent Bit (amazon-cloudwatch-observability) via IRSA',
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.oidcIssuer])
          .apply(([arn, issuer]) => JSON.stringify(irsaTrustPolicy(arn, issuer, OBSERVABILITY_NAMESPACE, OBSERVABILITY_SERVICE_ACCOUNT))),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-agent-policy`,
      { role: agentRole.name, policyArn: 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy' },
      parent,
    );
    new aws.eks.Addon(
      `${name}-observability`,
      {
        clusterName: args.clusterName,
        addonName: 'amazon-cloudwatch-observability',
        serviceAccountRoleArn: agentRole.arn,
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
        tags,
      },
      { parent: this, dependsOn: logGroups },
    );

    // ---- alarms
    const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: 'alias/aws/sns', tags }, parent);
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: 'email', endpoint: args.alarmEmail }, parent);
    }
    const notify = { alarmActions: [topic.arn], okActions: [topic.arn] };
    const alb = { LoadBalancer: args.loadBalancerArnSuffix };
    const targets = { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: args.targetGroupArnSuffix };
    const t = ALARM_THRESHOLDS;
    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    const alarm = (id: string, description: string, alarmArgs: Partial<aws.cloudwatch.MetricAlarmArgs>) => {
      const created = new aws.cloudwatch.MetricAlarm(
        `${name}-${id}`,
        {
          name: `${args.deployment}-${id}`,
          alarmDescription: description,
          comparisonOperator: 'GreaterThanThreshold',
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          treatMissingData: 'notBreaching',
          ...notify,
          tags,
          ...alarmArgs,
        } as aws.cloudwatch.MetricAlarmArgs,
        parent,
      );
      alarms.push(created);
    };

    alarm('api-target-5xx', 'The API answered 5xx more than usual', {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: alb,
      statistic: 'Sum',
      period: 300,
      threshold: t.api5xxPer5Minutes,
    });
    alarm('api-alb-5xx', 'The ALB answered 5xx itself (no healthy target, timeouts)', {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: alb,
      statistic: 'Sum',
      period: 300,
      threshold: t.api5xxPer5Minutes,
    });
    alarm('api-latency-p99', `The API's p99 response time is above ${t.apiP99LatencySeconds}s`, {
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: alb,
      extendedStatistic: 'p99',
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      threshold: t.apiP99LatencySeconds,
    });
    alarm('api-no-healthy-target', 'No API pod passes /health/ready', {
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensions: targets,
      statistic: 'Minimum',
      period: 60,
      comparisonOperator: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'breaching',
    });
    alarm('api-waf-blocks', 'The WAF is blocking many requests (attack, or a rule hitting real users)', {
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensions: { WebACL: args.webAclName, Region: args.region, Rule: 'ALL' },
      statistic: 'Sum',
      period: 300,
      threshold: 1000,
    });
    for (const category of COGNITO_QUOTA_CATEGORIES) {
      alarm(`cognito-${category.toLowerCase()}-quota`, `Cognito ${category} requests above ${t.cognitoQuotaPercent}% of the account quota (throttling next)`, {
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        threshold: t.cognitoQuotaPercent,
        metricQueries: [
          {
            id: 'usage',
            returnData: false,
            metric: {
              namespace: 'AWS/Usage',
              metricName: 'CallCount',
              dimensions: { Service: 'Cognito User Pools', Type: 'API', Resource: category, Class: 'None' },
              period: 60,
              stat: 'Sum',
            },
          },
          // Quotas are per second; usage is summed per minute.
          { id: 'percent', expression: 'usage / (SERVICE_QUOTA(usage) * 60) * 100', label: `${category} % of quota`, returnData: true },
        ],
      });
    }
    // Quota headroom (row 7): a quota that is hit makes provisioning fail with `quota_exhausted`, and
    // raising it in Service Quotas takes days, so warn at 80 %. One alarm per published series.
    const capacityAlarm = (id: string, description: string, metric: { metricName: string; dimension: string }, value: string) =>
      alarm(id, description, {
        namespace: COGNITO_CAPACITY_NAMESPACE,
        metricName: metric.metricName,
        dimensions: { Deployment: args.deployment, [metric.dimension]: value },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: t.cognitoQuotaPercent,
      });
    for (const region of [...new Set(args.cognitoCapacity.regions)]) {
      capacityAlarm(
        `cognito-user-pools-${region}`,
        `User pools in ${region} at ${t.cognitoQuotaPercent}% or more of the account quota: raise it in Service Quotas before silo provisioning fails (GET /v1/admin/cognito/capacity)`,
        COGNITO_CAPACITY_METRICS.userPools,
        region,
      );
    }
    for (const pool of [...new Set(args.cognitoCapacity.sharedPools)]) {
      capacityAlarm(
        `cognito-app-clients-${pool}`,
        `App clients in the ${pool} pool at ${t.cognitoQuotaPercent}% or more of the per-pool quota: raise it before bridge provisioning fails (GET /v1/admin/cognito/capacity)`,
        COGNITO_CAPACITY_METRICS.appClients,
        pool,
      );
    }
    alarm('database-cpu', `Postgres CPU above ${t.databaseCpuPercent}%`, {
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: { DBInstanceIdentifier: args.databaseInstanceId },
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: t.databaseCpuPercent,
    });
    alarm('database-free-storage', `Postgres has less than ${t.databaseFreeStorageFraction * 100}% of its storage free`, {
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: { DBInstanceIdentifier: args.databaseInstanceId },
      statistic: 'Minimum',
      period: 300,
      comparisonOperator: 'LessThanThreshold',
      threshold: args.databaseAllocatedStorageGb * 1024 ** 3 * t.databaseFreeStorageFraction,
    });
    alarm('database-connections', 'Postgres connections close to the instance limit', {
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnections',
      dimensions: { DBInstanceIdentifier: args.databaseInstanceId },
      statistic: 'Maximum',
      period: 300,
      threshold: t.databaseConnections,
    });

    this.alarmTopicArn = topic.arn;
    this.alarmNames = alarms.map((created) => created.name);
    this.registerOutputs({ alarmTopicArn: this.alarmTopicArn });
  }
}
