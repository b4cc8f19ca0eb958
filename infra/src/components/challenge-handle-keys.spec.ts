import { beforeAll, describe, expect, it } from 'vitest';
import { type ResourceRecorder, installPulumiMocks, isSecretValue, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./challenge-handle-keys.js');

const kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/secrets';

describe('ChallengeHandleKeys', () => {
  let recorder: ResourceRecorder;
  let mod: Module;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./challenge-handle-keys.js');
    const sut = new mod.ChallengeHandleKeys('handle-keys', { deployment: 'gatehouse-prod', keyIds: ['k2', 'k1'], kmsKeyArn, deletionProtection: true });
    await Promise.all(Object.values(sut.secretArns).map((arn) => valueOf(arn)));
    await recorder.settled();
  });

  const versions = () => recorder.ofType('aws:secretsmanager/secretVersion:SecretVersion');

  it('keeps one secret per key id, encrypted with the customer-managed key', () => {
    const secrets = recorder.ofType('aws:secretsmanager/secret:Secret').map((secret) => secret.inputs);
    expect(secrets.map((secret) => secret['name']).sort()).toEqual(['gatehouse-prod/challenge-handle-keys/k1', 'gatehouse-prod/challenge-handle-keys/k2']);
    for (const secret of secrets) expect(secret).toMatchObject({ kmsKeyId: kmsKeyArn, recoveryWindowInDays: 30 });
  });

  it('writes a 32-byte key generated at apply time through the write-only field, never as a plain string', () => {
    expect(versions()).toHaveLength(2);
    for (const version of versions()) {
      expect(version.inputs['secretString']).toBeUndefined();
      expect(version.inputs['secretStringWoVersion']).toBe(1);
      expect(isSecretValue(version.rawInputs['secretStringWo'])).toBe(true);
      const key = Buffer.from(JSON.parse(version.inputs['secretStringWo'] as string).key as string, 'base64');
      expect(key).toHaveLength(32);
    }
    const [first, second] = versions().map((version) => version.inputs['secretStringWo']);
    expect(first).not.toBe(second);
    const asked = recorder.invokes.filter((invoke) => invoke.token === 'aws:secretsmanager/getRandomPassword:getRandomPassword');
    expect(asked.map((invoke) => invoke.inputs['passwordLength'])).toEqual([64, 64]);
  });

  it('renders the ESO template of CHALLENGE_HANDLE_KEYS in the given order', () => {
    expect(mod.challengeHandleKeysTemplate(['k2', 'k1'])).toBe('k2:{{ .challenge_handle_key_k2 }},k1:{{ .challenge_handle_key_k1 }}');
  });

  it('derives a key the API accepts and refuses a password too short to carry 256 bits', () => {
    const key = mod.challengeHandleKeyFromPassword('a'.repeat(64));
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(key).not.toBe(mod.challengeHandleKeyFromPassword('b'.repeat(64)));
    expect(() => mod.challengeHandleKeyFromPassword('short')).toThrow(mod.ChallengeHandleKeysError);
  });
});
