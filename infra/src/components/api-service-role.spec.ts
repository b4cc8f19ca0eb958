import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ACCOUNT_ID, MOCK_REGION, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./api-service-role.js');

const issuer = `oidc.eks.${MOCK_REGION}.amazonaws.com/id/CLUSTER`;
const providerArn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/${issuer}`;
const sharedPoolArn = `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/${MOCK_REGION}_basic`;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: Record<string, string>;
  Condition?: Record<string, Record<string, unknown>>;
}

describe('ApiServiceRole', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let trust: { Statement: Statement[] };
  let policy: { Statement: Statement[] };

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./api-service-role.js');
    const sut = new mod.ApiServiceRole('api', {
      oidcProviderArn: providerArn,
      oidcIssuer: issuer,
      namespace: 'gatehouse',
      serviceAccountName: 'gatehouse-api',
      region: MOCK_REGION,
      additionalSiloRegions: ['us-east-1'],
      accountId: MOCK_ACCOUNT_ID,
      sharedPoolArns: [sharedPoolArn],
    });
    await valueOf(sut.roleArn);
    await recorder.settled();
    trust = JSON.parse(recorder.one('aws:iam/role:Role', 'api-role').inputs['assumeRolePolicy'] as string);
    policy = JSON.parse(recorder.one('aws:iam/rolePolicy:RolePolicy', 'api-cognito').inputs['policy'] as string);
  });

  it('is assumable only through the cluster OIDC provider, by that service account, for STS', () => {
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: 'system:serviceaccount:gatehouse:gatehouse-api',
            [`${issuer}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ]);
  });

  it('uses an exact match on the subject, never a wildcard', () => {
    const conditions = trust.Statement[0]?.Condition ?? {};
    expect(Object.keys(conditions)).toEqual(['StringEquals']);
    expect(JSON.stringify(conditions)).not.toContain('*');
  });

  it('allows only Cognito actions, only on user pools of this account in the allowed regions', () => {
    const allows = policy.Statement.filter((statement) => statement.Effect === 'Allow');
    const actions = allows.flatMap((statement) => [statement.Action].flat());
    expect(actions.every((action) => action.startsWith('cognito-idp:') && !action.includes('*'))).toBe(true);
    const manage = allows.find((statement) => statement.Sid === 'ManageGatehousePools');
    expect(manage?.Resource).toEqual([
      `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/*`,
      `arn:aws:cognito-idp:us-east-1:${MOCK_ACCOUNT_ID}:userpool/*`,
    ]);
    expect(manage?.Action).toEqual(expect.arrayContaining(['cognito-idp:AdminCreateUser', 'cognito-idp:CreateUserPoolClient']));
  });

  it('grants the unscopable CreateUserPool only with a requested-region condition', () => {
    const wildcard = policy.Statement.filter((statement) => statement.Resource === '*');
    expect(wildcard).toHaveLength(1);
    expect(wildcard[0]?.Action).toEqual(['cognito-idp:CreateUserPool', 'cognito-idp:ListUserPools']);
    expect(wildcard[0]?.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': [MOCK_REGION, 'us-east-1'] } });
  });

  it('denies deleting or reconfiguring the Pulumi-managed shared pools', () => {
    const deny = policy.Statement.find((statement) => statement.Effect === 'Deny');
    expect(deny?.Resource).toEqual([sharedPoolArn]);
    expect(deny?.Action).toEqual(expect.arrayContaining(['cognito-idp:DeleteUserPool', 'cognito-idp:UpdateUserPool']));
  });

  it('rejects names that cannot be a Kubernetes namespace or service account', () => {
    expect(() => mod.validateApiServiceRoleArgs({ namespace: 'Gatehouse', serviceAccountName: 'api' })).toThrow(
      /namespace "Gatehouse" is not a DNS label/,
    );
    expect(() =>
      mod.validateApiServiceRoleArgs({ namespace: 'gatehouse', serviceAccountName: 'api', additionalSiloRegions: ['mars'] }),
    ).toThrow(/"mars" is not an AWS region/);
  });
});
