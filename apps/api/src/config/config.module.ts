import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, loadConfig } from './config.schema.js';

/** Injection token for the validated {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Provides the validated configuration. The only place that reads
 * `process.env`: everything else receives an {@link AppConfig}.
 */
@Module({})
export class ConfigModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config ?? loadConfigFromProcess() }],
      exports: [APP_CONFIG],
    };
  }
}

export function loadConfigFromProcess(): AppConfig {
  return loadConfig(process.env);
}
