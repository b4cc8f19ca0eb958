// ESM loader hooks that let Node 20 run the Pulumi program straight from the
// repository's TypeScript sources, the way Vitest and the SWC build see them:
// - `@gatehouse/tiers` resolves to libs/tiers/src/index.ts (tsconfig.base.json `paths`);
// - a relative `./x.js` import resolves to `./x.ts` when only the .ts exists (NodeNext style);
// - `.ts` files are transpiled (types stripped, ESM kept) by @swc/core, in memory.
// No type checking happens here; `npx tsc -p tsconfig.json --noEmit` does that.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from '@swc/core';

const repositoryRoot = new URL('../../', import.meta.url);

/** Mirrors `compilerOptions.paths` in tsconfig.base.json. */
export const PATH_ALIASES = {
  '@gatehouse/tiers': new URL('libs/tiers/src/index.ts', repositoryRoot).href,
};

export async function resolve(specifier, context, nextResolve) {
  const alias = PATH_ALIASES[specifier];
  if (alias) return { url: alias, shortCircuit: true };

  const isRelative = specifier.startsWith('./') || specifier.startsWith('../');
  if (isRelative && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
    const asJs = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(asJs))) {
      const asTs = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (existsSync(fileURLToPath(asTs))) return { url: asTs.href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const source = await readFile(filename, 'utf8');
  const output = await transform(source, {
    filename,
    sourceMaps: 'inline',
    swcrc: false,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  });
  return { format: 'module', source: output.code, shortCircuit: true };
}

