import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, UsageError, parseTokenArgs } from './token.js';

const defaults = { api: 'http://127.0.0.1:3000', cognitoEndpoint: 'http://127.0.0.1:9229', dataDir: '/repo/.gatehouse' };

describe(parseTokenArgs.name, () => {
  it('reads a tenant user, with the demo password by default', () => {
    expect(parseTokenArgs(['--tenant', 'demo-basic', '--user', 'admin@demo-basic.example'], defaults)).toEqual({
      kind: 'tenant',
      api: 'http://127.0.0.1:3000',
      tenant: 'demo-basic',
      email: 'admin@demo-basic.example',
      password: DEMO_PASSWORD,
    });
    expect(parseTokenArgs(['--user', 'a@b.test', '--tenant', 't', '--password', 'pw', '--api', 'http://127.0.0.1:4000'], defaults)).toMatchObject({
      api: 'http://127.0.0.1:4000',
      password: 'pw',
    });
  });

  it('reads the operator, with the seeded operator file by default', () => {
    expect(parseTokenArgs(['--operator'], defaults)).toEqual({
      kind: 'operator',
      cognitoEndpoint: 'http://127.0.0.1:9229',
      deployment: 'gatehouse-local',
      operatorFile: '/repo/.gatehouse/seed-operator.json',
    });
  });

  it.each([[[]], [['--tenant', 'x']], [['--user', 'a@b.test']], [['--tenant']], [['--tenant', '--user']], [['--operator', '--tenant', 'x']], [['--what', 'x']]])(
    'refuses %j with a usage error',
    (argv) => {
      expect(() => parseTokenArgs(argv, defaults)).toThrow(UsageError);
    },
  );
});
