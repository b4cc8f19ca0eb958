/** Writes bench/results/latest.json and latest.md (ratios first; absolute figures are for this machine only). */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FullPathResults } from './full-path.js';
import { type HookBenchResults, renderHookBench } from './hooks.js';
import type { MachineInfo } from './machine.js';
import { MODELS } from './bench-world.js';
import type { ProvisioningResults } from './provisioning.js';
import { type SoakResults, renderSoak } from './soak.js';
import type { VerificationResults } from './verification.js';

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly durationSeconds: number;
  readonly loadAverageAtEnd: number;
  /** 1-minute load average at the start and end of each section that ran. */
  readonly sectionLoadAverages?: Record<string, { readonly start: number; readonly end: number }>;
  readonly verification: VerificationResults | { readonly error: string };
  readonly fullPath: FullPathResults | { readonly error: string };
  readonly provisioning: ProvisioningResults | { readonly error: string };
  /** Only when asked for (`--only=soak`). */
  readonly soak?: SoakResults | { readonly error: string };
  /** Sign-in with and without a synchronous hook (absent with --only that leaves it out). */
  readonly hooks?: HookBenchResults | { readonly error: string };
}

const int = (value: number) => Math.round(value).toLocaleString('en-US');

export function renderMarkdown(results: BenchResults): string {
  const { machine } = results;
  const lines: string[] = [
    '# Gatehouse benchmark results',
    '',
    `${machine.date} · ${machine.cpuModel} · ${machine.cores} cores · ${machine.memoryGiB} GiB · Node ${machine.node} · ${machine.os} · run took ${results.durationSeconds} s · 1-min load average ${machine.loadAverageAtStart} at start, ${results.loadAverageAtEnd} at end`,
    '',
    'Absolute figures depend on the machine; only ratios measured in the same run compare.',
    ...(results.sectionLoadAverages
      ? [
          '',
          `1-minute load average per section (2 cores): ${Object.entries(results.sectionLoadAverages)
            .map(([name, load]) => `${name} ${load.start} → ${load.end}`)
            .join('; ')}.`,
        ]
      : []),
    '',
    '## Ratios',
    '',
    '| measure | ratio | target |',
    '|---|---|---|',
  ];
  const verification = 'error' in results.verification ? undefined : results.verification;
  const fullPath = 'error' in results.fullPath ? undefined : results.fullPath;
  if (verification) {
    const first = verification.scale[0]!.figures;
    lines.push(`| verification, first-seen token: API / raw node:crypto | ${first.firstSeen.ratio} | ≥ 0.9 |`);
    lines.push(`| verification, token seen again: API / raw node:crypto | ${first.seenAgain.ratio} | ≥ 0.9 |`);
    lines.push(`| verification at ${int(verification.scale.at(-1)!.registeredTenants)} / ${int(verification.scale[0]!.registeredTenants)} tenants, first-seen (each vs raw) | ${verification.flatness.firstSeen} | 0.9 – 1.1 |`);
    lines.push(`| verification at ${int(verification.scale.at(-1)!.registeredTenants)} / ${int(verification.scale[0]!.registeredTenants)} tenants, seen again (each vs raw) | ${verification.flatness.seenAgain} | 0.9 – 1.1 |`);
  }
  if (fullPath) {
    for (const phase of fullPath.phases) {
      const at = `${int(phase.tenants)} tenants, ${int(phase.projectRows)} projects`;
      lines.push(`| full path GET req/s: API / baseline (${at}) | ${phase.ratios.readRps} | ≥ 0.75 |`);
      lines.push(`| full path GET p99: API / baseline (${at}) | ${phase.ratios.readP99} | ≤ 2 |`);
      lines.push(`| full path GET, mixed pool/bridge/silo tokens, req/s: API / baseline (${at}) | ${phase.ratios.mixedReadRps} | ≥ 0.75 |`);
      lines.push(`| full path GET, mixed tokens, p99: API / baseline (${at}) | ${phase.ratios.mixedReadP99} | ≤ 2 |`);
      lines.push(`| write path POST req/s: API / baseline (${at}) | ${phase.ratios.writeRps} | ≥ 0.6 |`);
      lines.push(`| write path POST p99: API / baseline (${at}) | ${phase.ratios.writeP99} | — |`);
    }
    lines.push(`| full path at ${int(fullPath.phases.at(-1)!.tenants)} / ${int(fullPath.phases[0]!.tenants)} tenants (each vs baseline) | ${fullPath.flatness} | 0.9 – 1.1 |`);
    const probe = fullPath.phases[0]!.apiTransactionsPerRequest;
    if (probe) {
      lines.push(`| Postgres transactions per API request, GET | ${probe.read} | 1 |`);
      lines.push(`| Postgres transactions per API request, POST | ${probe.write} | 1 |`);
    }
  }
  if (results.hooks && !('error' in results.hooks)) {
    lines.push(`| sign-in with / without a pre-authentication hook (+${results.hooks.addedMs} ms) | ${results.hooks.ratio} | — |`);
  }
  if (verification) {
    lines.push('', '## 1–2. Token verification (per core) and tenant scale', '');
    lines.push(`${verification.unit}; median of ${verification.rounds} rounds after a warm-up (ratio: median of the rounds' ratios); ${verification.firstSeenTokensPerRound} never-seen tokens${verification.firstSeenPassesPerRound ? ` in ${verification.firstSeenPassesPerRound} passes (the API's verified-token memory cleared before each, so each pass is never-seen)` : ''} and ${verification.seenAgainVerificationsPerRound} repeat verifications per round, pool/bridge/silo tokens in turn.`, '');
    lines.push('| tenants registered | issuers | first-seen: API | raw | ratio | seen again: API | raw | ratio |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const point of verification.scale) {
      const { firstSeen, seenAgain } = point.figures;
      lines.push(
        `| ${int(point.registeredTenants)} | ${int(point.registeredIssuers)} | ${int(firstSeen.api)}/s | ${int(firstSeen.raw)}/s | ${firstSeen.ratio} | ${int(seenAgain.api)}/s | ${int(seenAgain.raw)}/s | ${seenAgain.ratio} |`,
      );
    }
    lines.push('', `Registry memory: ${int(verification.registryMemory.bytesPerTenant)} bytes per tenant (${int(verification.registryMemory.tenantsAdded)} synthetic snapshots; ${int(verification.registryMemory.retainedAfterRemovalBytes)} bytes still held after removing them).`);
    const reload = verification.databaseReload;
    if ('error' in reload) lines.push('', `Reload through Postgres: failed (${reload.error}).`);
    else {
      lines.push(
        '',
        `Reload through Postgres: ${int(reload.tenantRows)} tenant rows (bulk insert ${int(reload.bulkInsertMs)} ms); \`reloadAll()\` → ${int(reload.registeredTenantsAfterReload)} tenants in ${int(reload.reloadAllMs)} ms (median of ${reload.reloadAllRoundsMs.join(', ')} ms), ${int(reload.bytesPerTenant)} bytes per tenant.`,
      );
    }
  } else {
    lines.push('', `## 1–2. Token verification: failed (${(results.verification as { error: string }).error})`);
  }
  if (fullPath) {
    lines.push('', '## 3. Full request path', '');
    lines.push(
      `\`GET ${fullPath.readPath}\` with real emulator access tokens of each model (and mixed: each connection cycling through the three) and \`POST ${fullPath.writePath}\` (a new project per request, the models taking turns), autocannon ${fullPath.connections} connections on 127.0.0.1, ${fullPath.rounds} × ${fullPath.roundSeconds} s rounds (rates: median round; ratios: median of the per-round API / baseline ratios); API and baseline each in its own process${fullPath.interleaved ? ', on the 3-tenant database and on its 10,000-tenant clone at the same time (four processes), every round visiting all four' : ''}, rounds interleaved. Baseline: Fastify + node:crypto + pg as a superuser, by tenant, no RLS, with the API's data-layer techniques (statements prepared once per connection, timestamps read as ISO text).`,
      '',
    );
    lines.push('| tenants / projects | target | GET req/s | p50 ms | p99 ms | pool | bridge | silo | mixed req/s | mixed p99 ms | POST req/s | POST p99 ms |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const phase of fullPath.phases) {
      for (const mode of ['api', 'baseline'] as const) {
        const target = phase.targets[mode];
        lines.push(
          `| ${int(phase.tenants)} / ${int(phase.projectRows)} | ${mode === 'api' ? 'API' : 'baseline'} | ${int(target.read.rps)} | ${target.read.p50Ms} | ${target.read.p99Ms} | ${MODELS.map((model) => int(target.read.models[model].rps)).join(' | ')} | ${int(target.mixedRead.rps)} | ${target.mixedRead.p99Ms} | ${int(target.write.rps)} | ${target.write.p99Ms} |`,
        );
      }
    }
    lines.push(
      '',
      'CPU time per request served (median of the rounds; µs): the target process, and all of Postgres — what decides throughput once the 2 cores are busy.',
      '',
      '| tenants / projects | target | GET: process | GET: Postgres | mixed GET: process | mixed GET: Postgres | POST: process | POST: Postgres |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const phase of fullPath.phases) {
      for (const mode of ['api', 'baseline'] as const) {
        const target = phase.targets[mode];
        const cpu = (figures: { cpuMicrosPerRequest?: { server: number; postgres: number } }) =>
          figures.cpuMicrosPerRequest ? `${int(figures.cpuMicrosPerRequest.server)} | ${int(figures.cpuMicrosPerRequest.postgres)}` : '— | —';
        lines.push(`| ${int(phase.tenants)} / ${int(phase.projectRows)} | ${mode === 'api' ? 'API' : 'baseline'} | ${cpu(target.read)} | ${cpu(target.mixedRead)} | ${cpu(target.write)} |`);
      }
    }
  } else {
    lines.push('', `## 3. Full request path: failed (${(results.fullPath as { error: string }).error})`);
  }
  lines.push('', '## 4. Provisioning', '');
  const provisioning = results.provisioning;
  if ('error' in provisioning) lines.push(`failed: ${provisioning.error}`);
  else if (!provisioning.available) lines.push(provisioning.note);
  else {
    lines.push(`Against the Cognito emulator, ${provisioning.note}.`, '');
    lines.push('| model (tier) | tenants, one after another | median ms per tenant | each (ms) |', '|---|---|---|---|');
    for (const model of MODELS) {
      const figures = provisioning.perModel[model];
      lines.push(`| ${model} (${figures.tier}) | ${figures.tenants} | ${int(figures.medianMs)} | ${figures.eachMs.map(int).join(', ')} |`);
    }
    const c = provisioning.concurrent;
    lines.push('', `${c.tenants} tenants at once (${c.tiers}): all done (active, failed or timed out) after ${int(c.wallMs)} ms → ${c.tenantsPerSecond} tenants/s; per tenant median ${int(c.medianMs)} ms, p99 ${int(c.p99Ms)} ms; ${c.failed} failed (${c.failedStatus} ended \`failed\`, ${c.timedOut} not active after ${int(c.timeoutMs / 1000)} s); ${c.retried503} answers were 503 (database saturated), retried after Retry-After.`);
  }
  lines.push(...renderHookBench(results.hooks));
  lines.push('');
  return lines.join('\n');
}

export async function writeResults(directory: string, results: BenchResults): Promise<{ json: string; markdown: string }> {
  await mkdir(directory, { recursive: true });
  const json = join(directory, 'latest.json');
  const markdown = join(directory, 'latest.md');
  // Write then rename, so an interrupted run never leaves half a file.
  await writeFile(`${json}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(`${markdown}.tmp`, [renderMarkdown(results), ...renderSoak(results.soak)].join('\n'));
  await rename(`${json}.tmp`, json);
  await rename(`${markdown}.tmp`, markdown);
  return { json, markdown };
}
