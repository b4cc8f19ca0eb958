import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_KEYS } from '../apps/api/src/config/config.schema.js';
import { MIGRATION_SECRET_KEYS, RDS_CA_BUNDLE_PATH } from '../infra/src/api-environment.js';
import { ComposeSyntaxError, type YamlValue, parseComposeYaml } from './compose-reader.js';

const read = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
type Service = { [key: string]: YamlValue } & {
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  command?: string[];
};

describe('docker-compose.yml', () => {
  const compose = parseComposeYaml(read('docker-compose.yml')) as { services: Record<string, Service> };
  const services = compose.services;

  it('runs postgres 16, the Cognito emulator on 9229, a migrate one-shot and the API', () => {
    expect(services['postgres']?.['image']).toBe('postgres:16');
    expect(services['cognito']?.command).toEqual(['npx', '--yes', 'cognito-local@5.3.0']);
    expect(services['cognito']?.environment?.['PORT']).toBe('9229');
    expect(services['migrate']?.command).toEqual(['node', 'dist/tools/db/migrate.js']);
    expect(services['api']?.command?.join(' ')).toContain('node dist/apps/api/src/main.js');
  });

  it('gives the API only environment keys its configuration accepts', () => {
    const known = new Set<string>(CONFIG_ENV_KEYS);
    expect(Object.keys(services['api']?.environment ?? {}).filter((key) => !known.has(key))).toEqual([]);
  });

  it('gives the migrate one-shot only the migration job keys (plus NODE_ENV)', () => {
    const allowed = new Set<string>([...MIGRATION_SECRET_KEYS, 'NODE_ENV']);
    expect(Object.keys(services['migrate']?.environment ?? {}).filter((key) => !allowed.has(key))).toEqual([]);
  });

  it('starts the API only after healthy dependencies and completed one-shots', () => {
    expect(services['api']?.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      cognito: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
      'cognito-init': { condition: 'service_completed_successfully' },
    });
    for (const name of ['postgres', 'cognito', 'api']) {
      expect(services[name]?.healthcheck?.test, name).toEqual(expect.arrayContaining([expect.any(String)]));
    }
    expect(services['api']?.healthcheck?.test.join(' ')).toContain('/health/live');
  });

  it('runs the API in local mode against the emulator, never in production mode', () => {
    expect(services['api']?.environment).toMatchObject({
      GATEHOUSE_MODE: 'local',
      COGNITO_ENDPOINT: 'http://cognito:9229',
      NODE_ENV: 'development',
    });
  });
});

describe('compose reader', () => {
  it('refuses YAML outside its subset instead of misreading it', () => {
    expect(() => parseComposeYaml('services:\n  - name: api\n')).toThrow(ComposeSyntaxError);
    expect(() => parseComposeYaml("a: 'single'\n")).toThrow(/single quotes/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.filter((line) => /^FROM\s/i.test(line));
  const runtime = instructions.slice(instructions.findIndex((line) => /^FROM\s.*\sAS\s+runtime$/i.test(line)));

  it('is multi-stage, with a build stage and a runtime stage', () => {
    expect(stages.map((line) => line.split(/\s+AS\s+/i)[1])).toEqual(['build', 'runtime']);
    expect(runtime.some((line) => /^COPY --from=build \/app\/dist/.test(line))).toBe(true);
  });

  it('builds with dev dependencies and ships production dependencies only', () => {
    const buildStage = instructions.slice(0, instructions.indexOf(runtime[0]!));
    expect(buildStage.some((line) => /^RUN npm ci\b/.test(line) && !line.includes('--omit=dev'))).toBe(true);
    expect(buildStage.some((line) => line.includes('prisma generate') && line.includes('npm run build'))).toBe(true);
    expect(runtime.filter((line) => /npm (ci|install)\b/.test(line)).every((line) => line.includes('--omit=dev'))).toBe(true);
    expect(runtime.some((line) => /npm ci\b/.test(line))).toBe(true);
  });

  it('runs as a non-root numeric user', () => {
    const users = runtime.filter((line) => /^USER\s/i.test(line));
    expect(users).toHaveLength(1);
    const [user] = users[0]!.split(/\s+/)[1]!.split(':');
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
  });

  it('has a HEALTHCHECK on /health/live using node, and starts the API', () => {
    const healthcheck = runtime.find((line) => /^HEALTHCHECK\s/i.test(line));
    expect(healthcheck).toContain('"node"');
    expect(healthcheck).toContain('/health/live');
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/apps/api/src/main.js"]');
  });

  it('ships migrations, tier configuration and the RDS CA bundle the database URLs point at', () => {
    expect(runtime).toEqual(
      expect.arrayContaining(['COPY prisma/migrations ./prisma/migrations', 'COPY config ./config']),
    );
    expect(runtime.some((line) => line.startsWith('ADD ') && line.endsWith(RDS_CA_BUNDLE_PATH))).toBe(true);
  });
});
