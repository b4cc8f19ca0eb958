/**
 * Lints an OpenAPI document with the project's committed configurations:
 * Redocly (`redocly.yaml`, the engine of `@redocly/cli lint`) and Spectral
 * (`.spectral.yaml`, the core and rulesets behind `@stoplight/spectral-cli`).
 * Every finding comes back as one line, errors and warnings alike, so a suite
 * can require an empty list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Document, Spectral, type RulesetDefinition } from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { parse as parseYaml } from 'yaml';

const ROOT = process.cwd();

export async function redoclyFindings(document: unknown): Promise<string[]> {
  const configPath = join(ROOT, 'redocly.yaml');
  const config = await createConfig(readFileSync(configPath, 'utf8'), { configPath });
  const problems = await lintFromString({ source: JSON.stringify(document, null, 2), absoluteRef: join(ROOT, 'openapi.json'), config });
  return problems.map(
    (found) => `redocly ${found.severity} ${found.ruleId}: ${found.message} at ${found.location.map((where) => where.pointer ?? '').join(', ')}`,
  );
}

interface SpectralConfig {
  readonly extends?: readonly string[];
  readonly rules?: Readonly<Record<string, 'off' | 'warn' | 'error' | 'info' | 'hint'>>;
}

/**
 * `.spectral.yaml` holds what the CLI would read; only `extends: [spectral:oas]` and rule
 * severities are used, so it maps onto a ruleset object without the CLI's bundler.
 */
function spectralRuleset(): RulesetDefinition {
  const config = parseYaml(readFileSync(join(ROOT, '.spectral.yaml'), 'utf8')) as SpectralConfig;
  const unsupported = (config.extends ?? []).filter((name) => name !== 'spectral:oas');
  if (unsupported.length > 0) throw new Error(`.spectral.yaml extends ${unsupported.join(', ')}: only spectral:oas is supported here`);
  return { extends: [[oas as RulesetDefinition, 'recommended']], rules: { ...config.rules } } as RulesetDefinition;
}

const SPECTRAL_SEVERITY = ['error', 'warn', 'info', 'hint'] as const;

export async function spectralFindings(document: unknown): Promise<string[]> {
  const spectral = new Spectral();
  spectral.setRuleset(spectralRuleset());
  const results = await spectral.run(new Document(JSON.stringify(document, null, 2), Json, 'openapi.json'));
  return results.map(
    (found) => `spectral ${SPECTRAL_SEVERITY[found.severity] ?? found.severity} ${String(found.code)}: ${found.message} at /${found.path.join('/')}`,
  );
}
