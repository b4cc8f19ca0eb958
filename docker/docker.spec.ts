import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('is multi-stage: build, production dependencies, runtime', () => {
    expect(stages.map((line) => line.split(/\s+AS\s+/i)[1])).toEqual(['build', 'deps', 'runtime']);
    expect(runtime.some((line) => /^COPY --from=build \/app\/dist/.test(line))).toBe(true);
  });

  it('builds every stage FROM Node 24 (the LTS) pinned by digest (issue 14 row 11)', () => {
    const args = Object.fromEntries(
      instructions.filter((line) => /^ARG\s/.test(line)).map((line) => {
        const [name, value] = line.replace(/^ARG\s+/, '').split('=');
        return [name, value];
      }),
    );
    expect(args['NODE_VERSION']).toBe('24');
    // No default digest: a build without the reviewed one fails instead of taking the tag's current image.
    expect(args).toHaveProperty('NODE_SHA256', undefined);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim@sha256:\$\{NODE_SHA256\} AS \w+$/);
  });

  it('fetches the RDS CA bundle only with a checksum (issue 14 row 11)', () => {
    const add = runtime.find((line) => line.startsWith('ADD ') && line.endsWith(RDS_CA_BUNDLE_PATH));
    expect(add).toMatch(/^ADD --checksum=sha256:\$\{RDS_CA_BUNDLE_SHA256\} /);
    expect(runtime).toContain('ARG RDS_CA_BUNDLE_SHA256');
  });

  it('ships only what dist/ runs: no test or bench code, no local stack, no prisma CLI, and an SBOM (issue 14 row 11)', () => {
    const copiedDist = runtime.filter((line) => line.startsWith('COPY --from=build')).map((line) => line.split(/\s+/)[2]);
    expect(copiedDist).toEqual(['/app/dist/apps', '/app/dist/libs', '/app/dist/tools/db']);
    const deps = instructions.slice(instructions.findIndex((line) => / AS deps$/.test(line)), instructions.indexOf(runtime[0]!));
    const install = deps.find((line) => line.startsWith('RUN npm ci'));
    expect(install).toContain('--omit=dev');
    expect(install).toContain('rm -rf node_modules/prisma');
    expect(install).toContain('npm sbom --omit=dev --sbom-format=cyclonedx');
    expect(runtime).toContain('COPY --from=deps /app/sbom.cdx.json ./sbom.cdx.json');
    expect(runtime.filter((line) => /npm (ci|install)\b/.test(line))).toEqual([]);
  });

  it('needs no devDependency at run time: every package dist/ imports is a production dependency', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const pkg = JSON.parse(read('../package.json')) as { dependencies: Record<string, string> };
    const runtimeSources = ['apps/api/src', 'libs', 'tools/db'].flatMap((dir) =>
      (readdirSync(join(root, dir), { recursive: true }) as string[])
        .filter((file) => file.endsWith('.ts') && !/\.(spec|test)\.ts$/.test(file) && !file.split('/').includes('testing'))
        .map((file) => join(root, dir, file)),
    );
    const imported = new Set<string>();
    for (const file of runtimeSources) {
      // Value imports only: `import type` is erased by the compiler and needs nothing at run time.
      const source = readFileSync(file, 'utf8');
      const statements = [
        ...source.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?\bfrom\s*'([^'.][^']*)'/gm),
        ...source.matchAll(/\bimport\(\s*'([^'.][^']*)'\s*\)/g),
      ];
      for (const match of statements) {
        const specifier = match[1]!;
        if (specifier.startsWith('node:') || specifier.startsWith('@gatehouse/')) continue;
        const parts = specifier.split('/');
        imported.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in pkg.dependencies)).sort()).toEqual([]);
    expect(imported.has('prisma')).toBe(false);
  });

  it('builds with dev dependencies', () => {
    const buildStage = instructions.slice(0, instructions.findIndex((line) => / AS deps$/.test(line)));
    expect(buildStage.some((line) => /^RUN npm ci\b/.test(line) && !line.includes('--omit=dev'))).toBe(true);
    expect(buildStage.some((line) => line.includes('prisma generate') && line.includes('npm run build'))).toBe(true);
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
