/** Entry point of `npm run token` (see token.ts). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, UsageError, accessToken, parseTokenArgs } from './token.js';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function main(): Promise<void> {
  const request = parseTokenArgs(process.argv.slice(2), {
    api: `http://127.0.0.1:${process.env['PORT'] ?? '3000'}`,
    cognitoEndpoint: `http://127.0.0.1:${process.env['COGNITO_PORT'] ?? '9229'}`,
    dataDir: join(repositoryRoot, '.gatehouse'),
  });
  process.stdout.write(`${await accessToken(request)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
