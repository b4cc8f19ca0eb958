import { beforeAll, describe, expect, it } from 'vitest';
import { verifyMessage } from '../../../apps/api/src/events/standard-webhooks.js';
import { MOCK_ACCOUNT_ID, MOCK_REGION, type ResourceRecorder, installPulumiMocks, isSecretValue, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./cognito-events-trigger.js');

describe('CognitoEventsTrigger', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let sut: InstanceType<Module['CognitoEventsTrigger']>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./cognito-events-trigger.js');
    sut = new mod.CognitoEventsTrigger('events', {
      deployment: 'gatehouse-test',
      region: MOCK_REGION,
      accountId: MOCK_ACCOUNT_ID,
      apiHost: 'api.gatehouse.example',
      kmsKeyArn: `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:key/secrets`,
      deletionProtection: true,
    });
    await valueOf(sut.functionArn);
    await valueOf(sut.secretArn);
    await recorder.settled();
  });

  it('runs the post-events handler, reporting to the API’s internal route', () => {
    const fn = recorder.one('aws:lambda/function:Function');
    expect(fn.inputs).toMatchObject({ name: 'gatehouse-test-post-events', runtime: 'nodejs22.x', handler: 'index.handler', timeout: 3 });
    const variables = (fn.inputs['environment'] as { variables: Record<string, string> }).variables;
    expect(variables['GATEHOUSE_EVENTS_URL']).toBe('https://api.gatehouse.example/internal/cognito-events');
    expect(variables['GATEHOUSE_EVENTS_SECRET']).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(mod.eventsRouteUrl('api.example.com')).toBe('https://api.example.com/internal/cognito-events');
    expect(() => mod.eventsRouteUrl('evil.example/path?x=')).toThrow();
  });

  it('gives the Lambda and the API’s Secrets Manager secret the same events secret, a valid Standard Webhooks key, never in plain inputs', () => {
    const fn = recorder.one('aws:lambda/function:Function');
    const lambdaSecret = (fn.inputs['environment'] as { variables: Record<string, string> }).variables['GATEHOUSE_EVENTS_SECRET']!;
    const version = recorder.one('aws:secretsmanager/secretVersion:SecretVersion');
    expect(JSON.parse(version.inputs['secretString'] as string)).toEqual({ secret: lambdaSecret });
    expect(isSecretValue(version.rawInputs['secretString'])).toBe(true);
    // The environment carrying it is a Pulumi secret too (encrypted in state and previews).
    expect(isSecretValue(fn.rawInputs['environment'])).toBe(true);
    expect(verifyMessage(lambdaSecret, { 'webhook-id': 'x', 'webhook-timestamp': '1', 'webhook-signature': 'v1,AAAA' }, '{}', 1)).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
    expect(recorder.one('aws:secretsmanager/secret:Secret').inputs).toMatchObject({
      name: 'gatehouse-test/cognito-events-secret',
      kmsKeyId: `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:key/secrets`,
      recoveryWindowInDays: 30,
    });
  });

  it('lets only Cognito, for this account’s pools in this region, invoke it; its role may only write logs', () => {
    expect(recorder.one('aws:lambda/permission:Permission').inputs).toMatchObject({
      action: 'lambda:InvokeFunction',
      function: 'gatehouse-test-post-events',
      principal: 'cognito-idp.amazonaws.com',
      sourceArn: `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/*`,
      sourceAccount: MOCK_ACCOUNT_ID,
    });
    expect(recorder.ofType('aws:iam/rolePolicy:RolePolicy')).toHaveLength(0);
    expect(recorder.one('aws:iam/rolePolicyAttachment:RolePolicyAttachment').inputs['policyArn']).toBe(
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    );
    expect(recorder.one('aws:cloudwatch/logGroup:LogGroup').inputs).toMatchObject({ name: '/aws/lambda/gatehouse-test-post-events', retentionInDays: 30 });
  });
});
