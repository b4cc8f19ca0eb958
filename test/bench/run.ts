/**
 * `npm run bench`: the benchmarks on the embedded local stack (a fresh
 * database on embedded Postgres, or DATABASE_URL's server, plus the Cognito
 * emulator), writing bench/results/latest.json and latest.md.
 *
 *   1. token verification per core: the API's guard vs raw node:crypto
 *   2. the same with 10k tenants in the registry; registry memory; reloadAll() from Postgres
 *   3. the full request path with autocannon, read (per model and mixed) and write, API vs a minimal no-RLS baseline, at 3 and 10,000 tenants
 *   4. provisioning (only when the build contains the provisioning service)
 *   5. soak: 60 s at 70 % of the measured maximum, mixed tokens and writes (only when named: --only=soak)
 *   6. synchronous hooks: sign-in with and without a pre-authentication hook (added ms, ratio)
 *   7. tier move: 1,000 users pool → silo, to cut-over (only when named: --only=tier-move; bench/results/tier-move.md)
 *
 * Options: --only=verification,full-path,provisioning,soak,hooks,tier-move (default: all but soak and tier-move).
 * BENCH_PROFILE_DIR=<dir> writes V8 CPU profiles: the guard on first-seen tokens, and each full-path target.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBenchWorld } from './bench-world.js';
import { runHookBench } from './hooks.js';
import { runFullPathBench } from './full-path.js';
import { machineInfo } from './machine.js';
import { runProvisioningBench } from './provisioning.js';
import { type BenchResults, renderMarkdown, writeResults } from './report.js';
import { renderSoak, runSoakBench } from './soak.js';
import { runTierMoveBench, writeTierMoveResults } from './tier-move.js';
import { runVerificationBench } from './verification.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench', 'results');

function log(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}

/** The 1-minute load average when each section started and ended: the figures were taken on a shared machine. */
const sectionLoad: Record<string, { start: number; end: number }> = {};
const loadNow = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;

async function section<T>(name: string, enabled: boolean, run: () => Promise<T>): Promise<T | { error: string }> {
  if (!enabled) return { error: 'skipped (--only)' };
  const started = Date.now();
  const load = { start: loadNow(), end: Number.NaN };
  sectionLoad[name] = load;
  try {
    const result = await run();
    load.end = loadNow();
    log(`${name}: done in ${Math.round((Date.now() - started) / 1000)} s (load average ${load.start} → ${load.end})`);
    return result;
  } catch (error) {
    load.end = loadNow();
    log(`${name}: FAILED: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
    return { error: (error as Error).message };
  }
}

async function main(): Promise<void> {
  const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
  const wants = (name: string) => !only || only.includes(name);
  const soakWanted = only?.includes('soak') ?? false;
  const tierMoveWanted = only?.includes('tier-move') ?? false;
  const started = Date.now();
  const machine = machineInfo();
  log(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`);
  const world = await buildBenchWorld(log);
  log(`local stack ready in ${Math.round((Date.now() - started) / 1000)} s`);
  try {
    const verification = await section('verification', wants('verification'), () => runVerificationBench(world, log));
    const fullPath = await section('full path', wants('full-path'), () => runFullPathBench(world, log));
    const provisioning = await section('provisioning', wants('provisioning'), () => runProvisioningBench(world, log));
    const soak = soakWanted ? await section('soak', true, () => runSoakBench(world, log)) : undefined;
    const hooks = wants('hooks') ? await section('hooks', true, () => runHookBench(world, log)) : undefined;
    if (tierMoveWanted) {
      const tierMove = await section('tier move', true, () => runTierMoveBench(world, log));
      log(`wrote ${await writeTierMoveResults(RESULTS_DIR, tierMove)}`);
      // Asked for alone: the other sections did not run, so latest.json/latest.md keep their figures.
      if (only?.length === 1) return;
    }
    const results: BenchResults = {
      machine,
      durationSeconds: Math.round((Date.now() - started) / 1000),
      loadAverageAtEnd: loadNow(),
      sectionLoadAverages: sectionLoad,
      verification,
      fullPath,
      provisioning,
      ...(soak ? { soak } : {}),
      ...(hooks ? { hooks } : {}),
    };
    const written = await writeResults(RESULTS_DIR, results);
    process.stdout.write(`\n${renderMarkdown(results)}\n${renderSoak(soak).join('\n')}\n`);
    log(`wrote ${written.json} and ${written.markdown}`);
  } finally {
    await world.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
