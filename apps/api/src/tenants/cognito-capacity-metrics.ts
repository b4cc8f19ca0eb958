/**
 * Publishes the Cognito quota headroom (issue 14 row 7) as CloudWatch metrics,
 * so that the alarms in infra/src/components/monitoring.ts fire at 80 %.
 *
 * Why PutMetricData from the API rather than a Prometheus gauge or EMF log
 * lines: the numbers come from the tenant registry (no Cognito listing), which
 * only the API reads; the cluster's CloudWatch add-on does not scrape
 * Prometheus endpoints without a separate scraper deployment and a network
 * path to the metrics port, and its Fluent Bit wraps container lines in a
 * `log` field, so EMF printed to stdout would not be extracted. One SDK call
 * per interval per replica, on a namespace the IAM role is limited to, is the
 * least new machinery. Every replica publishes the same values; the alarms
 * use `Maximum`, so duplicates change nothing.
 *
 * Off unless COGNITO_CAPACITY_METRICS_NAMESPACE is set (AWS mode only).
 * Failures are logged and retried at the next interval: publishing never
 * affects requests.
 */
import { CloudWatchClient, type PutMetricDataCommandInput, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { CognitoCapacityService, type QuotaUse } from './cognito-capacity.js';

/** Metric names and dimensions; monitoring.ts alarms on exactly these (its spec imports them). */
export const CAPACITY_METRICS = {
  userPools: { metricName: 'UserPoolQuotaPercent', dimension: 'Region' },
  appClients: { metricName: 'AppClientQuotaPercent', dimension: 'Pool' },
} as const;
export const DEPLOYMENT_DIMENSION = 'Deployment';

export interface CapacityReport {
  readonly userPools: readonly (QuotaUse & { readonly region: string })[];
  readonly appClientsPerPool: readonly (QuotaUse & { readonly pool: string })[];
}

/** The PutMetricData request for one report: percent of each quota used, per region and per shared pool. */
export function capacityMetricData(report: CapacityReport, namespace: string, deployment: string, timestamp: Date): PutMetricDataCommandInput {
  const datum = (metricName: string, dimension: string, value: string, percent: number) => ({
    MetricName: metricName,
    Dimensions: [
      { Name: DEPLOYMENT_DIMENSION, Value: deployment },
      { Name: dimension, Value: value },
    ],
    Timestamp: timestamp,
    Value: percent,
    Unit: 'Percent' as const,
  });
  return {
    Namespace: namespace,
    MetricData: [
      ...report.userPools.map((row) => datum(CAPACITY_METRICS.userPools.metricName, CAPACITY_METRICS.userPools.dimension, row.region, row.percentUsed)),
      ...report.appClientsPerPool.map((row) =>
        datum(CAPACITY_METRICS.appClients.metricName, CAPACITY_METRICS.appClients.dimension, row.pool, row.percentUsed),
      ),
    ],
  };
}

/** PutMetricData takes at most 1,000 data points per call; a deployment has a handful. */
const MAX_DATA_PER_CALL = 1_000;

@Injectable()
export class CognitoCapacityPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CognitoCapacityPublisher.name);
  private timer: NodeJS.Timeout | undefined;
  private client: CloudWatchClient | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly capacity: CognitoCapacityService,
  ) {}

  onApplicationBootstrap(): void {
    const namespace = this.config.env.COGNITO_CAPACITY_METRICS_NAMESPACE;
    if (!namespace) return;
    this.client = new CloudWatchClient({
      region: this.config.env.AWS_REGION,
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    });
    const tick = () => void this.publishOnce(namespace);
    tick();
    this.timer = setInterval(tick, this.config.env.COGNITO_CAPACITY_METRICS_INTERVAL_MS).unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.client?.destroy();
    this.client = undefined;
  }

  /** One report, one (or, beyond 1,000 data points, more) PutMetricData call. Never throws. */
  async publishOnce(namespace: string): Promise<void> {
    try {
      const input = capacityMetricData(await this.capacity.report(), namespace, this.config.env.GATEHOUSE_DEPLOYMENT, new Date());
      const data = input.MetricData ?? [];
      for (let start = 0; start < data.length; start += MAX_DATA_PER_CALL) {
        await this.client?.send(new PutMetricDataCommand({ ...input, MetricData: data.slice(start, start + MAX_DATA_PER_CALL) }));
      }
    } catch (error) {
      this.logger.warn(`Cognito capacity metrics not published: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
