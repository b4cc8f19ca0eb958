import { GATEHOUSE_CLIENT_NAME_SUFFIX, tenantClientNamePrefix } from '@gatehouse/tiers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ACCOUNT_ID, MOCK_REGION, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./cognito-triggers.js');

describe('CognitoTriggers', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let sut: InstanceType<Module['CognitoTriggers']>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./cognito-triggers.js');
    sut = new mod.CognitoTriggers('triggers', { deployment: 'gatehouse-test', region: MOCK_REGION, accountId: MOCK_ACCOUNT_ID });
    await valueOf(sut.triggersJson);
    await recorder.settled();
  });

  const functions = () => recorder.ofType('aws:lambda/function:Function');

  it('creates the pre sign-up and the pre-token-generation functions from the handlers in infra/lambdas', () => {
    expect(functions().map((fn) => fn.inputs['name']).sort()).toEqual(['gatehouse-test-pre-sign-up', 'gatehouse-test-pre-token-generation']);
    for (const fn of functions()) {
      expect(fn.inputs).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.handler', timeout: 3 });
      expect(fn.inputs['environment']).toEqual({
        variables: { GATEHOUSE_CLIENT_NAME_SUFFIX, GATEHOUSE_TENANT_CLIENT_PREFIX: tenantClientNamePrefix('gatehouse-test') },
      });
    }
  });

  it('packages each handler transpiled to an ES module exporting `handler`', () => {
    const source = mod.triggerModuleSource('pre-token-generation');
    expect(source).toMatch(/export async function handler\(/);
    expect(source).not.toMatch(/: PreTokenGenerationV2Event/); // types are gone
    expect(mod.triggerModuleSource('pre-sign-up')).toMatch(/from "@aws-sdk\/client-cognito-identity-provider"/);
  });

  it('lets only Cognito, for this account’s pools in this region, invoke them', () => {
    const permissions = recorder.ofType('aws:lambda/permission:Permission');
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) {
      expect(permission.inputs).toMatchObject({
        action: 'lambda:InvokeFunction',
        principal: 'cognito-idp.amazonaws.com',
        sourceArn: `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/*`,
        sourceAccount: MOCK_ACCOUNT_ID,
      });
    }
    expect(permissions.map((permission) => permission.inputs['function']).sort()).toEqual([
      'gatehouse-test-pre-sign-up',
      'gatehouse-test-pre-token-generation',
    ]);
  });

  it('grants the functions only DescribeUserPoolClient (besides their logs)', () => {
    const policy = JSON.parse(recorder.one('aws:iam/rolePolicy:RolePolicy').inputs['policy'] as string) as {
      Statement: { Action: string[]; Resource: string }[];
    };
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Action: ['cognito-idp:DescribeUserPoolClient'], Resource: `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/*` },
    ]);
    expect(recorder.one('aws:iam/rolePolicyAttachment:RolePolicyAttachment').inputs['policyArn']).toBe(
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    );
  });

  it('keeps their logs for a bounded time', () => {
    expect(recorder.ofType('aws:cloudwatch/logGroup:LogGroup').map((group) => [group.inputs['name'], group.inputs['retentionInDays']]).sort()).toEqual([
      ['/aws/lambda/gatehouse-test-pre-sign-up', 30],
      ['/aws/lambda/gatehouse-test-pre-token-generation', 30],
    ]);
  });

  it('publishes the ARNs as the API’s GATEHOUSE_COGNITO_TRIGGERS', async () => {
    const value = JSON.parse(await valueOf(sut.triggersJson)) as Record<string, string>;
    expect(Object.keys(value).sort()).toEqual(['preSignUp', 'preTokenGeneration']);
    expect(value['preSignUp']).toBe(await valueOf(sut.preSignUpArn));
    expect(value['preTokenGeneration']).toMatch(/^arn:/);
  });
});
