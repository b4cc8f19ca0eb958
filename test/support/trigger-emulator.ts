/**
 * A Cognito emulator of a suite's own that runs Lambda triggers (cognito-local's
 * `TriggerFunctions`, invoked through `LambdaClient`; server/config.js), with the
 * deployment's shared pools, for the run's database. Triggers are global to an
 * emulator (it ignores which pool a trigger belongs to), so the run's shared
 * emulator never gets any: suites that need them start this one.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTierConfigurationFile, sharedPoolBlueprints } from '@gatehouse/tiers';
import { createEmulatorClient, ensureSharedPools, startCognitoEmulator } from '../../tools/local-stack/cognito.js';
import type { LocalStackInfo } from '../../tools/local-stack/stack.js';
import { stackInfo } from './database.js';

export interface TriggerEmulator {
  /** The run's stack with this emulator in place of the run's (same database). */
  readonly stack: LocalStackInfo;
  stop(): Promise<void>;
}

/** @param triggers cognito-local trigger name (e.g. `UserMigration`) → function name the Invoke server knows. */
export async function startTriggerEmulator(lambdaEndpoint: string, triggers: Readonly<Record<string, string>>): Promise<TriggerEmulator> {
  const run = stackInfo();
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-trigger-emulator-'));
  const configDir = join(dataDir, 'cognito', '.cognito');
  await mkdir(configDir, { recursive: true });
  await writeFile(
    join(configDir, 'config.json'),
    JSON.stringify({
      LambdaClient: { endpoint: lambdaEndpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
      TriggerFunctions: triggers,
    }),
  );
  const emulator = await startCognitoEmulator({ dataDir, port: 0 });
  const client = createEmulatorClient(emulator.endpoint, run.region);
  try {
    const blueprints = sharedPoolBlueprints(loadTierConfigurationFile(), { deployment: run.deployment, deletionProtection: false });
    const sharedPools = await ensureSharedPools(client, blueprints, { region: run.region, endpoint: emulator.endpoint });
    return {
      stack: { ...run, cognitoEndpoint: emulator.endpoint, cognitoLogFile: join(dataDir, 'cognito', 'emulator.log'), sharedPools },
      async stop() {
        await emulator.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await emulator.stop();
    throw error;
  } finally {
    client.destroy();
  }
}
