import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/**
 * One Vitest run, three projects:
 * - `unit`: specs beside the code (fakes allowed, no services);
 * - `infra`: Pulumi component tests with `pulumi.runtime.setMocks` (no CLI, no cloud);
 * - `integration`: suites under `test/` against real Postgres, the Cognito emulator
 *   and real `oidc-provider` instances, started once by the global setup.
 *
 * SWC compiles the TypeScript because NestJS needs decorator metadata, which
 * esbuild (Vitest's default) does not emit.
 */
const alias = {
  '@gatehouse/tiers': fileURLToPath(new URL('./libs/tiers/src/index.ts', import.meta.url)),
  '@gatehouse/client': fileURLToPath(new URL('./libs/client/src/index.ts', import.meta.url)),
};
// Same transform as the build (.swcrc): legacy decorators with metadata.
const plugins = [
  swc.vite({
    tsconfigFile: false,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
  }),
];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'tools/**/*.spec.ts', 'docker/**/*.spec.ts'],
          environment: 'node',
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'infra',
          include: ['infra/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // A whole Pulumi program under the mocks can take well over 10 s to load on a busy 2-core machine.
          hookTimeout: 120_000,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['./test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Suites share one Postgres and one emulator; files still run in parallel workers.
          fileParallelism: true,
        },
      },
    ],
  },
});
