import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const infraDir = fileURLToPath(new URL('..', import.meta.url));

// What `pulumi up` does (Pulumi.yaml: nodeargs --import=./loader/register.mjs,
// then a dynamic import of index.ts), minus the engine: load the program's
// modules through the loader in a fresh Node process.
describe('Pulumi program loader', () => {
  it('runs the TypeScript sources with the path alias and NodeNext .js imports', () => {
    const script = `
      const { resolveStackSettings } = await import('./src/settings.ts');
      const settings = resolveStackSettings('dev', {
        publicBaseDomain: 'dev.example.com', apiImage: 'repo/api', apiImageTag: '1.0.0', apiImageDigest: 'sha256:${'0'.repeat(64)}',
        database: { instanceClass: 'db.t4g.micro' },
      });
      const { createGatehouse } = await import('./src/program.ts');
      console.log(JSON.stringify({ tiers: settings.tiers.tiers.map((t) => t.name), program: typeof createGatehouse }));
    `;
    const output = execFileSync(process.execPath, ['--import=./loader/register.mjs', '--input-type=module', '-e', script], {
      cwd: infraDir,
      encoding: 'utf8',
    });
    const repositoryTiers = JSON.parse(readFileSync(new URL('../../config/tiers.json', import.meta.url), 'utf8')) as {
      tiers: { name: string }[];
    };
    expect(JSON.parse(output.trim())).toEqual({
      tiers: repositoryTiers.tiers.map((tier) => tier.name),
      program: 'function',
    });
  });
});
