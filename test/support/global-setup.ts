/**
 * Starts the real local stack once for the integration suites: Postgres
 * (`DATABASE_URL` when given, else embedded), a fresh database with roles and
 * migrations, and the Cognito emulator with the tier pools. Suites read its
 * coordinates with `inject('stack')`. Everything is removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalStackInfo, startLocalStack } from '../../tools/local-stack/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: LocalStackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-test-'));
  const started = Date.now();
  const stack = await startLocalStack({
    databaseUrl: process.env['DATABASE_URL'],
    dataDir,
    database: `gatehouse_test_${randomBytes(4).toString('hex')}`,
    deployment: 'gatehouse-test',
    postgresPort: 0,
    cognitoPort: 0,
    log: process.env['GATEHOUSE_TEST_VERBOSE'] ? (line) => process.stderr.write(`[stack] ${line}\n`) : undefined,
  });
  process.stderr.write(
    `[stack] ready in ${Date.now() - started} ms: postgres ${process.env['DATABASE_URL'] ? 'from DATABASE_URL' : 'embedded'}, database ${stack.info.database}, cognito ${stack.info.cognitoEndpoint}\n`,
  );
  project.provide('stack', stack.info);
  return async () => {
    await stack.stop({ dropDatabase: true });
    await rm(dataDir, { recursive: true, force: true });
  };
}
