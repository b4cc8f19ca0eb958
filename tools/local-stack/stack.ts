/**
 * The embedded local stack: Postgres (given or embedded), Gatehouse's roles,
 * database and migrations, the Cognito emulator and the tier pools from the
 * shared tier configuration. `npm start` and the integration tests' global
 * setup both use it, so what the tests run against is what a developer runs.
 */
import { join } from 'node:path';
import { loadTierConfigurationFile, sharedPoolBlueprints } from '@gatehouse/tiers';
import { bootstrapDatabase, dropDatabase } from '../db/bootstrap.js';
import { type DatabaseUrls, LOCAL_ROLE_PASSWORDS, localDatabaseUrls } from '../db/database-urls.js';
import { applyMigrations } from '../db/migrate.js';
import { type SharedPoolHandle, createEmulatorClient, ensureSharedPools, startCognitoEmulator } from './cognito.js';
import { startPostgres } from './postgres.js';

export const LOCAL_REGION = 'us-east-1';

export interface LocalStackOptions {
  /** An existing Postgres server to use (`DATABASE_URL`); otherwise an embedded one is started. */
  readonly databaseUrl?: string | undefined;
  /** Where embedded Postgres and the emulator keep their data. */
  readonly dataDir: string;
  /** Gatehouse's database on that server. */
  readonly database: string;
  /** Prefix of the Cognito pools' names. */
  readonly deployment: string;
  /** 0 picks free ports (tests); fixed ports keep `npm start` URLs stable. */
  readonly postgresPort?: number;
  readonly cognitoPort?: number;
  readonly log?: (line: string) => void;
}

export interface LocalStackInfo {
  readonly adminUrl: string;
  readonly database: string;
  readonly databaseUrls: DatabaseUrls;
  readonly cognitoEndpoint: string;
  readonly cognitoLogFile: string;
  readonly region: string;
  readonly deployment: string;
  readonly sharedPools: Readonly<Record<string, SharedPoolHandle>>;
}

export interface LocalStack {
  readonly info: LocalStackInfo;
  stop(options?: { dropDatabase?: boolean }): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const postgres = await startPostgres({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    ...(options.postgresPort !== undefined ? { port: options.postgresPort } : {}),
    log,
  });
  const cleanups: (() => Promise<void>)[] = [() => postgres.stop()];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => log(`cleanup failed: ${String(error)}`));
  };
  try {
    await bootstrapDatabase({ adminUrl: postgres.adminUrl, database: options.database, passwords: LOCAL_ROLE_PASSWORDS });
    const databaseUrls = localDatabaseUrls(postgres.adminUrl, options.database);
    const migrations = await applyMigrations(databaseUrls.owner);
    log(`migrations: ${migrations.filter((m) => m.applied).length} applied, ${migrations.length} in total`);

    const emulator = await startCognitoEmulator({
      dataDir: options.dataDir,
      ...(options.cognitoPort !== undefined ? { port: options.cognitoPort } : {}),
      log,
    });
    cleanups.push(() => emulator.stop());
    const cognito = createEmulatorClient(emulator.endpoint, LOCAL_REGION);
    const blueprints = sharedPoolBlueprints(loadTierConfigurationFile(), {
      deployment: options.deployment,
      deletionProtection: false,
    });
    const sharedPools = await ensureSharedPools(cognito, blueprints, { region: LOCAL_REGION, endpoint: emulator.endpoint });
    cognito.destroy();

    const info: LocalStackInfo = {
      adminUrl: postgres.adminUrl,
      database: options.database,
      databaseUrls,
      cognitoEndpoint: emulator.endpoint,
      cognitoLogFile: join(options.dataDir, 'cognito', 'emulator.log'),
      region: LOCAL_REGION,
      deployment: options.deployment,
      sharedPools,
    };
    return {
      info,
      async stop(stopOptions = {}) {
        if (stopOptions.dropDatabase) {
          cleanups.splice(1, 0, () => dropDatabase(postgres.adminUrl, options.database));
        }
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The API's environment for a running local stack (see apps/api/src/config). */
export function apiEnvironment(info: LocalStackInfo, overrides: Record<string, string> = {}): Record<string, string> {
  const pools = Object.fromEntries(
    Object.entries(info.sharedPools).map(([key, pool]) => [
      key,
      {
        userPoolId: pool.userPoolId,
        ...(pool.clientId ? { clientId: pool.clientId } : {}),
        ...(pool.gatehouseClientId ? { gatehouseClientId: pool.gatehouseClientId } : {}),
        region: pool.region,
      },
    ]),
  );
  return {
    NODE_ENV: 'development',
    GATEHOUSE_MODE: 'local',
    DATABASE_URL: info.databaseUrls.app,
    DATABASE_PRIVILEGED_URL: info.databaseUrls.privileged,
    COGNITO_ENDPOINT: info.cognitoEndpoint,
    AWS_REGION: info.region,
    GATEHOUSE_DEPLOYMENT: info.deployment,
    GATEHOUSE_SHARED_POOLS: JSON.stringify(pools),
    ...overrides,
  };
}
