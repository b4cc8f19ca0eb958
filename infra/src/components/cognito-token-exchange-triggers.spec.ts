import { beforeAll, describe, expect, it } from 'vitest';
import { tokenExchangeAnswer } from '../../../apps/api/src/identity/cognito/token-exchange-answer.js';
import { isCorrectAnswer, parseExchangeKey } from '../../lambdas/verify-auth-challenge-response.js';
import { MOCK_ACCOUNT_ID, MOCK_REGION, type ResourceRecorder, installPulumiMocks, isSecretValue, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./cognito-token-exchange-triggers.js');

describe('CognitoTokenExchangeTriggers', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let sut: InstanceType<Module['CognitoTokenExchangeTriggers']>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./cognito-token-exchange-triggers.js');
    sut = new mod.CognitoTokenExchangeTriggers('exchange', {
      deployment: 'gatehouse-test',
      region: MOCK_REGION,
      accountId: MOCK_ACCOUNT_ID,
      kmsKeyArn: `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:key/secrets`,
      deletionProtection: true,
    });
    await valueOf(sut.verifyAuthChallengeResponseArn);
    await valueOf(sut.secretArn);
    await recorder.settled();
  });

  const functions = () => recorder.ofType('aws:lambda/function:Function');
  const byName = (name: string) => functions().find((fn) => fn.inputs['name'] === name)!;

  it('creates the define, create and verify functions from the handlers in infra/lambdas', () => {
    expect(functions().map((fn) => fn.inputs['name']).sort()).toEqual([
      'gatehouse-test-create-auth-challenge',
      'gatehouse-test-define-auth-challenge',
      'gatehouse-test-verify-auth-challenge-response',
    ]);
    for (const fn of functions()) expect(fn.inputs).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.handler', timeout: 3 });
  });

  it('gives the exchange key to the verify function only, and the same key to the API’s Secrets Manager secret, never in plain inputs', () => {
    const verify = byName('gatehouse-test-verify-auth-challenge-response');
    const lambdaKey = (verify.inputs['environment'] as { variables: Record<string, string> }).variables['GATEHOUSE_TOKEN_EXCHANGE_KEY']!;
    const key = parseExchangeKey(lambdaKey);
    expect(key).toHaveLength(32);
    expect(isSecretValue(verify.rawInputs['environment'])).toBe(true);
    expect(byName('gatehouse-test-define-auth-challenge').inputs['environment']).toBeUndefined();
    expect(byName('gatehouse-test-create-auth-challenge').inputs['environment']).toBeUndefined();

    const version = recorder.one('aws:secretsmanager/secretVersion:SecretVersion');
    expect(JSON.parse(version.inputs['secretString'] as string)).toEqual({ key: lambdaKey });
    expect(isSecretValue(version.rawInputs['secretString'])).toBe(true);
    expect(recorder.one('aws:secretsmanager/secret:Secret').inputs).toMatchObject({
      name: 'gatehouse-test/cognito-token-exchange-key',
      kmsKeyId: `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:key/secrets`,
      recoveryWindowInDays: 30,
    });
    // What the API signs with that key, the deployed verifier accepts.
    const challenge = { userPoolId: `${MOCK_REGION}_target`, username: 'opaque-1', nonce: 'n' };
    const event = { userPoolId: challenge.userPoolId, userName: challenge.username, request: { privateChallengeParameters: { nonce: 'n' }, challengeAnswer: tokenExchangeAnswer(key!, challenge) }, response: {} };
    expect(isCorrectAnswer(event, key, Date.now())).toBe(true);
  });

  it('packages each handler transpiled to a self-contained ES module exporting `handler`', async () => {
    const { triggerModuleSource } = await import('./cognito-triggers.js');
    for (const file of Object.values(mod.TOKEN_EXCHANGE_HANDLERS)) {
      const source = triggerModuleSource(file);
      expect(source).toMatch(/export async function handler\(/);
      expect(source).not.toMatch(/: \w+Event\b/); // types are gone
      // Nothing to bundle: node:crypto at most.
      for (const imported of source.matchAll(/from "([^"]+)"/g)) expect(imported[1]).toBe('node:crypto');
    }
  });

  it('lets only Cognito, for this account’s pools in this region, invoke them; their role may only write logs', () => {
    const permissions = recorder.ofType('aws:lambda/permission:Permission');
    expect(permissions).toHaveLength(3);
    for (const permission of permissions) {
      expect(permission.inputs).toMatchObject({
        action: 'lambda:InvokeFunction',
        principal: 'cognito-idp.amazonaws.com',
        sourceArn: `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/*`,
        sourceAccount: MOCK_ACCOUNT_ID,
      });
    }
    expect(recorder.ofType('aws:iam/rolePolicy:RolePolicy')).toHaveLength(0);
    expect(recorder.one('aws:iam/rolePolicyAttachment:RolePolicyAttachment').inputs['policyArn']).toBe(
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    );
  });
});
