import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as pulumi from '@pulumi/pulumi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyMessage } from '../../../apps/api/src/events/standard-webhooks.js';
import { MOCK_ACCOUNT_ID, MOCK_REGION, type ResourceRecorder, installPulumiMocks, isSecretValue, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./user-migration-trigger.js');
const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

describe('UserMigrationTrigger', () => {
  let recorder: ResourceRecorder;
  let mod: Module;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./user-migration-trigger.js');
    const sut = new mod.UserMigrationTrigger('migration', {
      deployment: 'gatehouse-test',
      region: MOCK_REGION,
      accountId: MOCK_ACCOUNT_ID,
      apiHost: 'api.gatehouse.example',
      eventsSecret: SECRET,
    });
    await valueOf(sut.functionArn);
    await recorder.settled();
  });

  it('runs the user-migration handler against the API’s internal route, with the events secret kept secret', () => {
    const fn = recorder.one('aws:lambda/function:Function');
    expect(fn.inputs).toMatchObject({ name: 'gatehouse-test-user-migration', runtime: 'nodejs22.x', handler: 'index.handler', timeout: 5 });
    const variables = (fn.inputs['environment'] as { variables: Record<string, string> }).variables;
    expect(variables).toEqual({ GATEHOUSE_USER_MIGRATION_URL: 'https://api.gatehouse.example/internal/cognito-user-migration', GATEHOUSE_EVENTS_SECRET: SECRET });
    expect(isSecretValue(fn.rawInputs['environment'])).toBe(true);
    expect(mod.userMigrationRouteUrl('api.example.com')).toBe('https://api.example.com/internal/cognito-user-migration');
    expect(() => mod.userMigrationRouteUrl('evil.example/path?x=')).toThrow();
  });

  it('lets only Cognito, for this account’s pools in this region, invoke it; its role may only write logs (it calls no AWS API)', () => {
    expect(recorder.one('aws:lambda/permission:Permission').inputs).toMatchObject({
      action: 'lambda:InvokeFunction',
      function: 'gatehouse-test-user-migration',
      principal: 'cognito-idp.amazonaws.com',
      sourceArn: `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/*`,
      sourceAccount: MOCK_ACCOUNT_ID,
    });
    expect(recorder.ofType('aws:iam/rolePolicy:RolePolicy')).toHaveLength(0);
    expect(recorder.one('aws:iam/rolePolicyAttachment:RolePolicyAttachment').inputs['policyArn']).toBe(
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    );
  });
});

describe('the shipped user-migration archive', () => {
  let dir: string;
  let server: ReturnType<typeof createServer>;
  const received: { headers: Record<string, string>; body: string }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-user-migration-'));
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers as Record<string, string>, body });
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ userAttributes: { email: 'ann@acme.test' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('loads as Lambda runs it (index.mjs importing post-events.js) and signs what it sends', async () => {
    const { triggerArchive } = await import('./cognito-triggers.js');
    const archive = triggerArchive('user-migration', ['post-events']);
    const assets = (await archive.assets) as Record<string, pulumi.asset.StringAsset>;
    expect(Object.keys(assets).sort()).toEqual(['index.mjs', 'package.json', 'post-events.js']);
    for (const [file, asset] of Object.entries(assets)) await writeFile(join(dir, file), await asset.text!);
    const { port } = server.address() as AddressInfo;
    process.env['GATEHOUSE_USER_MIGRATION_URL'] = `http://127.0.0.1:${port}/internal/cognito-user-migration`;
    process.env['GATEHOUSE_EVENTS_SECRET'] = SECRET;
    try {
      const shipped = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: (event: unknown) => Promise<{ response: unknown }> };
      const event = {
        triggerSource: 'UserMigration_Authentication',
        region: MOCK_REGION,
        userPoolId: `${MOCK_REGION}_target`,
        userName: 'gh1-opaque',
        callerContext: { clientId: 'public-client' },
        request: { password: 'Moving-Day-2026!' },
        response: {},
      };
      const result = await shipped.handler(event);
      expect(result.response).toEqual({ userAttributes: { email: 'ann@acme.test' }, finalUserStatus: 'CONFIRMED', messageAction: 'SUPPRESS' });
      expect(verifyMessage(SECRET, received[0]!.headers, received[0]!.body)).toEqual({ ok: true });
    } finally {
      delete process.env['GATEHOUSE_USER_MIGRATION_URL'];
      delete process.env['GATEHOUSE_EVENTS_SECRET'];
    }
  });
});
