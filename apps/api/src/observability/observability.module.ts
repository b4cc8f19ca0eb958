import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { MetricsServer } from './metrics-server.js';
import { Metrics } from './metrics.js';
import { Tracing } from './tracing.js';

@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  constructor(@Inject(Tracing) private readonly tracing: Tracing) {}
  async onApplicationShutdown(): Promise<void> {
    await this.tracing.shutdown();
  }
}

/**
 * Metrics and tracing for every module: global, because the seams sit in
 * several bounded contexts (guard, database, Cognito adapter, provisioning).
 */
@Global()
@Module({
  providers: [
    {
      provide: Metrics,
      inject: [APP_CONFIG],
      // Process metrics sample the event loop: only when someone can scrape them.
      useFactory: (config: AppConfig) => new Metrics({ processMetrics: config.env.METRICS_PORT !== undefined }),
    },
    {
      provide: Tracing,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new Tracing({ endpoint: config.env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.env.OTEL_SERVICE_NAME }),
    },
    MetricsServer,
    TracingShutdown,
  ],
  exports: [Metrics, Tracing, MetricsServer],
})
export class ObservabilityModule {}
