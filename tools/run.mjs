#!/usr/bin/env node
// The project's task runner behind `npm start`, `npm test`, `npm run lint`,
// `npm run build`, `npm run bench` and `node tools/run.mjs generate-client`. Plain Node so it runs before anything
// is compiled. Each task first generates the Prisma client and compiles the
// TypeScript with SWC (about a second), so a fresh clone needs nothing else.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * `ownGroup`: the child gets its own process group, so a terminal's Ctrl-C or hang-up
 * reaches only us and we forward it; the child (the local stack) then stops its
 * processes in order, API first, instead of all of them getting the signal at once.
 */
function run(command, args, env = {}, { ownGroup = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env }, detached: ownGroup });
    // Forward Ctrl-C / SIGTERM / SIGHUP so the child can shut down cleanly; we exit with it.
    const forward = (signal) => child.kill(signal);
    for (const signal of SIGNALS) process.on(signal, forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const signal of SIGNALS) process.off(signal, forward);
      if (code === 0) resolve();
      else reject(Object.assign(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`), { exitCode: code ?? 1 }));
    });
  });
}

async function generatePrismaClient() {
  await run(bin('prisma'), ['generate', '--no-hints'], {
    PRISMA_SCHEMA_ENGINE_BINARY: join(root, 'tools', 'no-schema-engine.sh'),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  });
}

async function build() {
  await generatePrismaClient();
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await run(bin('swc'), ['apps', 'libs', 'tools', 'test/bench', 'test/support', '-d', 'dist', '--quiet', '--ignore', '**/*.spec.ts,**/*.test.ts,**/testing/**']);
}

const tasks = {
  build,
  async start() {
    await build();
    await run(process.execPath, ['--enable-source-maps', join(root, 'dist', 'tools', 'local-stack', 'start.js'), ...process.argv.slice(3)], {}, { ownGroup: true });
  },
  async test() {
    await build();
    await run(bin('vitest'), ['run', ...process.argv.slice(3)]);
  },
  async lint() {
    await generatePrismaClient();
    await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
    // The example SPA type-checks against the DOM, which the server code must not see.
    await run(bin('tsc'), ['-p', 'examples/spa/tsconfig.json', '--noEmit']);
    await run(bin('eslint'), ['--max-warnings=0', '.']);
  },
  // Prints an access token for the running `npm start` stack; reuses its build (rebuilding would
  // delete dist/ under the running API) and builds only when there is none yet.
  async token() {
    const cli = join(root, 'dist', 'tools', 'local-stack', 'token-cli.js');
    if (!existsSync(cli)) await build();
    await run(process.execPath, [cli, ...process.argv.slice(3)]);
  },
  // Regenerates @gatehouse/client's types from the API's OpenAPI document (libs/client/src/generated).
  async 'generate-client'() {
    await build();
    await run(process.execPath, [join(root, 'dist', 'tools', 'client', 'generate-client.js')]);
  },
  async bench() {
    await build();
    await run(process.execPath, ['--expose-gc', join(root, 'dist', 'test', 'bench', 'run.js'), ...process.argv.slice(3)]);
  },
};

const task = tasks[process.argv[2]];
if (!task) {
  console.error(`usage: node tools/run.mjs <${Object.keys(tasks).join('|')}>`);
  process.exit(2);
}
task().catch((error) => {
  console.error(error.message);
  process.exit(error.exitCode ?? 1);
});
