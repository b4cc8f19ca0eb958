/** Entry point of `node tools/run.mjs generate-client`: rewrites libs/client/src/generated/openapi.ts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { CLIENT_TYPES_PATH, renderClientTypes } from './client-types.js';
import { openApiDocument } from './openapi-document.js';

async function main(): Promise<void> {
  const source = await renderClientTypes(await openApiDocument());
  mkdirSync(dirname(CLIENT_TYPES_PATH), { recursive: true });
  writeFileSync(CLIENT_TYPES_PATH, source);
  process.stdout.write(`wrote ${relative(process.cwd(), CLIENT_TYPES_PATH)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`generate-client failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
