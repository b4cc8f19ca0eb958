// One-shot for docker-compose: creates (or finds) the shared pools in the
// Cognito emulator from the tier blueprints, exactly as `npm start` does, and
// writes the API's GATEHOUSE_SHARED_POOLS value to /shared/pools.json.
// Runs inside the API image, so it uses the compiled modules in /app/dist.
import { writeFile } from 'node:fs/promises';
import { loadTierConfigurationFile, sharedPoolBlueprints } from '/app/dist/libs/tiers/src/index.js';
import { createEmulatorClient, ensureSharedPools } from '/app/dist/tools/local-stack/cognito.js';

const endpoint = process.env.COGNITO_ENDPOINT ?? 'http://cognito:9229';
const region = process.env.AWS_REGION ?? 'us-east-1';
const deployment = process.env.GATEHOUSE_DEPLOYMENT ?? 'gatehouse-local';
const output = process.argv[2] ?? '/shared/pools.json';

const blueprints = sharedPoolBlueprints(loadTierConfigurationFile(), { deployment, deletionProtection: false });
const pools = await ensureSharedPools(createEmulatorClient(endpoint, region), blueprints, { region, endpoint });
const value = Object.fromEntries(
  Object.entries(pools).map(([key, pool]) => [
    key,
    {
      userPoolId: pool.userPoolId,
      ...(pool.clientId ? { clientId: pool.clientId } : {}),
      ...(pool.gatehouseClientId ? { gatehouseClientId: pool.gatehouseClientId } : {}),
      region: pool.region,
    },
  ]),
);
await writeFile(output, JSON.stringify(value));
console.log(`shared pools written to ${output}: ${Object.keys(value).join(', ')}`);
