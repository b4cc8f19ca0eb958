/**
 * The API's OpenAPI document without a database or an emulator: the Nest
 * application is built (routes and decorators read) but never initialised, so
 * no module connects anywhere. What `/openapi.json` serves, byte for byte.
 */
import 'reflect-metadata';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory.js';
import { loadConfig } from '../../apps/api/src/config/config.schema.js';

/** A configuration that validates but points nowhere: nothing connects before `init()`. */
const OFFLINE_ENV = {
  NODE_ENV: 'development',
  GATEHOUSE_MODE: 'local',
  LOG_LEVEL: 'silent',
  OPENAPI_DOCS_ENABLED: 'true',
  COGNITO_ENDPOINT: 'http://127.0.0.1:9',
  DATABASE_URL: 'postgres://offline@127.0.0.1:9/offline',
  DATABASE_PRIVILEGED_URL: 'postgres://offline@127.0.0.1:9/offline',
  GATEHOUSE_SHARED_POOLS: JSON.stringify({
    basic: { userPoolId: 'local_basic0', clientId: 'basic-public', gatehouseClientId: 'basic-gatehouse' },
    standard: { userPoolId: 'local_standard0' },
    operators: { userPoolId: 'local_operators0', clientId: 'operators-public', gatehouseClientId: 'operators-gatehouse' },
  }),
};

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = await createApp(loadConfig(OFFLINE_ENV), { logger: pino({ level: 'silent' }) });
  try {
    const fastify = app.getHttpAdapter().getInstance();
    const response = await fastify.inject({ method: 'GET', url: '/openapi.json' });
    if (response.statusCode !== 200) throw new Error(`/openapi.json answered ${response.statusCode}`);
    return response.json() as Record<string, unknown>;
  } finally {
    await app.getHttpAdapter().getInstance().close();
  }
}
