import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ACCOUNT_ID, MOCK_REGION, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./api-service-role.js');

const issuer = `oidc.eks.${MOCK_REGION}.amazonaws.com/id/CLUSTER`;
const providerArn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/${issuer}`;
const sharedPoolArn = `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/${MOCK_REGION}_basic`;
const operatorsPoolArn = `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/${MOCK_REGION}_operators`;

/** Every `*Command` apps/api/src imports from the Cognito SDK, read from the source. */
function cognitoCommandsInApiSource(): string[] {
  const root = fileURLToPath(new URL('../../../apps/api/src', import.meta.url));
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'));
  const commands = new Set<string>();
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8');
    for (const block of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-cognito-identity-provider'/g)) {
      for (const name of block[1]!.matchAll(/\b([A-Z][A-Za-z]+)Command\b/g)) commands.add(name[1]!);
    }
  }
  return [...commands].sort();
}

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
      operatorsPoolArn,
      deployment: 'gatehouse-prod',
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

  it('allows exactly the IAM-authorised Cognito operations apps/api/src calls (row 6: fails when code and policy drift)', () => {
    const called = cognitoCommandsInApiSource();
    expect(called.length).toBeGreaterThan(10);
    const publicOperations = new Set<string>(mod.COGNITO_PUBLIC_OPERATIONS);
    const needIam = called.filter((operation) => !publicOperations.has(operation)).map((operation) => `cognito-idp:${operation}`);
    const granted = policy.Statement.filter((statement) => statement.Effect === 'Allow').flatMap((statement) => [statement.Action].flat());
    expect([...new Set(granted)].sort()).toEqual(needIam.sort());
    // The public list holds only operations the code really calls.
    expect(mod.COGNITO_PUBLIC_OPERATIONS.filter((operation) => !called.includes(operation))).toEqual([]);
  });

  it("scopes every pool action to this deployment's tag, in this account and the allowed regions (row 6)", () => {
    const manage = policy.Statement.find((statement) => statement.Sid === 'ManageThisDeploymentsPools');
    expect(manage?.Resource).toEqual([
      `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/*`,
      `arn:aws:cognito-idp:us-east-1:${MOCK_ACCOUNT_ID}:userpool/*`,
    ]);
    expect(manage?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/gatehouse:deployment': 'gatehouse-prod' } });
  });

  it('creates pools only with the deployment tag in the request and only in the allowed regions (row 6)', () => {
    const create = policy.Statement.find((statement) => statement.Action === 'cognito-idp:CreateUserPool');
    expect(create?.Resource).toBe('*');
    expect(create?.Condition).toEqual({
      StringEquals: { 'aws:RequestTag/gatehouse:deployment': 'gatehouse-prod', 'aws:RequestedRegion': [MOCK_REGION, 'us-east-1'] },
    });
    const wildcard = policy.Statement.filter((statement) => statement.Effect === 'Allow' && statement.Resource === '*');
    expect(wildcard.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([...mod.COGNITO_UNSCOPED_ACTIONS].sort());
    for (const statement of wildcard) expect(JSON.stringify(statement.Condition)).toContain('aws:RequestedRegion');
  });

  it('denies deleting or reconfiguring the Pulumi-managed tier pools', () => {
    const deny = policy.Statement.find((statement) => statement.Sid === 'TierPoolsChangeOnlyThroughPulumi');
    expect(deny?.Effect).toBe('Deny');
    expect(deny?.Resource).toEqual([sharedPoolArn]);
    expect(deny?.Action).toEqual(expect.arrayContaining(['cognito-idp:DeleteUserPool', 'cognito-idp:UpdateUserPool']));
  });

  it("denies every way to create, promote or re-password a user in the operators' pool (row 6)", () => {
    const deny = policy.Statement.find((statement) => statement.Sid === 'NeverAdministerTheOperatorsPool');
    expect(deny).toMatchObject({ Effect: 'Deny', Resource: operatorsPoolArn });
    const denied = [deny?.Action].flat() as string[];
    const coveredByDeny = (action: string) =>
      denied.some((pattern) => (pattern.endsWith('*') ? action.startsWith(pattern.slice(0, -1)) : pattern === action));
    for (const action of ['AdminAddUserToGroup', 'AdminCreateUser', 'AdminSetUserPassword', 'AdminEnableUser', 'CreateGroup', 'UpdateUserPool', 'CreateUserPoolClient']) {
      expect(coveredByDeny(`cognito-idp:${action}`), action).toBe(true);
    }
    // Everything the API is granted is either denied on the operators' pool or harmless there (read-only).
    // DescribeUserPool reads settings and tags only. DescribeUserPoolClient gives the API the operators' Gatehouse client secret, which only lets it run
    // sign-ins that still need the operator's password and TOTP.
    const harmless = new Set(['cognito-idp:ListUserPoolClients', 'cognito-idp:ListUsers', 'cognito-idp:DescribeUserPoolClient', 'cognito-idp:DescribeUserPool']);
    expect(mod.COGNITO_ADMIN_ACTIONS.filter((action) => !coveredByDeny(action) && !harmless.has(action))).toEqual([]);
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
