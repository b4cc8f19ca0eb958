import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.schema.js';
import { quotaUse } from './cognito-capacity.js';
import { CAPACITY_METRICS, capacityMetricData } from './cognito-capacity-metrics.js';

// cognito-local has no CloudWatch: the request is checked here against the PutMetricData API reference
// (Namespace; MetricData[] of MetricName, Dimensions[{Name, Value}], Timestamp, Value, Unit "Percent").
describe(capacityMetricData.name, () => {
  const at = new Date('2026-12-01T12:00:00Z');
  const report = {
    userPools: [
      { region: 'eu-west-1', ...quotaUse(812, 1000) },
      { region: 'us-east-1', ...quotaUse(3, 1000) },
    ],
    appClientsPerPool: [{ pool: 'standard', ...quotaUse(40, 1000) }],
  };

  it('publishes percent used per region and per shared pool, dimensioned by deployment (issue 14 row 7)', () => {
    const sut = capacityMetricData(report, 'Gatehouse/Cognito', 'gatehouse-prod', at);
    expect(sut).toEqual({
      Namespace: 'Gatehouse/Cognito',
      MetricData: [
        {
          MetricName: CAPACITY_METRICS.userPools.metricName,
          Dimensions: [
            { Name: 'Deployment', Value: 'gatehouse-prod' },
            { Name: 'Region', Value: 'eu-west-1' },
          ],
          Timestamp: at,
          Value: 81.2,
          Unit: 'Percent',
        },
        expect.objectContaining({ MetricName: 'UserPoolQuotaPercent', Value: 0.3 }),
        {
          MetricName: CAPACITY_METRICS.appClients.metricName,
          Dimensions: [
            { Name: 'Deployment', Value: 'gatehouse-prod' },
            { Name: 'Pool', Value: 'standard' },
          ],
          Timestamp: at,
          Value: 4,
          Unit: 'Percent',
        },
      ],
    });
  });
});

describe('COGNITO_CAPACITY_METRICS_NAMESPACE', () => {
  const aws = {
    NODE_ENV: 'production',
    GATEHOUSE_MODE: 'aws',
    DATABASE_URL: 'postgres://gatehouse_app:s3cret@db:5432/gatehouse',
    DATABASE_PRIVILEGED_URL: 'postgres://gatehouse_privileged:s3cret@db:5432/gatehouse',
    GATEHOUSE_SHARED_POOLS: JSON.stringify({
      basic: { userPoolId: 'us-east-1_AAAAAAAA', clientId: 'basic-client', gatehouseClientId: 'basic-gatehouse' },
      standard: { userPoolId: 'us-east-1_BBBBBBBB' },
      operators: { userPoolId: 'us-east-1_CCCCCCCC', clientId: 'ops-client', gatehouseClientId: 'ops-gatehouse' },
    }),
    GATEHOUSE_COGNITO_TRIGGERS: JSON.stringify({
      preSignUp: 'arn:aws:lambda:us-east-1:123456789012:function:gatehouse-pre-sign-up',
      preTokenGeneration: 'arn:aws:lambda:us-east-1:123456789012:function:gatehouse-pre-token-generation',
    }),
    CHALLENGE_HANDLE_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    COGNITO_TOKEN_EXCHANGE_KEY: Buffer.alloc(32, 3).toString('base64'),
  };

  it('is off by default and publishes every 5 minutes when set', () => {
    expect(loadConfig(aws).env.COGNITO_CAPACITY_METRICS_NAMESPACE).toBeUndefined();
    const sut = loadConfig({ ...aws, COGNITO_CAPACITY_METRICS_NAMESPACE: 'Gatehouse/Cognito' }).env;
    expect(sut.COGNITO_CAPACITY_METRICS_NAMESPACE).toBe('Gatehouse/Cognito');
    expect(sut.COGNITO_CAPACITY_METRICS_INTERVAL_MS).toBe(300_000);
  });

  it.each(['AWS/Cognito', 'has space', ''])('refuses the namespace %j', (namespace) => {
    expect(() => loadConfig({ ...aws, COGNITO_CAPACITY_METRICS_NAMESPACE: namespace })).toThrow(ConfigError);
  });

  it('is refused in local mode (there is no CloudWatch to publish to)', () => {
    expect(() =>
      loadConfig({ ...aws, NODE_ENV: 'test', GATEHOUSE_MODE: 'local', COGNITO_ENDPOINT: 'http://127.0.0.1:9229', COGNITO_CAPACITY_METRICS_NAMESPACE: 'Gatehouse/Cognito' }),
    ).toThrow(/GATEHOUSE_MODE=aws/);
  });
});
