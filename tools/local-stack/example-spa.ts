/**
 * The example single-page app (examples/spa): built with Vite, served from its
 * own origin by a small static server that also answers `/config.json` with the
 * API's address, so one build runs against any API. `npm start` and the browser
 * tests both use it.
 */
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Compiled under dist/tools/local-stack or run from tools/local-stack: the repository root either way. */
const repositoryRoot = here.includes(`${sep}dist${sep}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
export const EXAMPLE_SPA_ROOT = join(repositoryRoot, 'examples', 'spa');

export async function buildExampleSpa(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(EXAMPLE_SPA_ROOT, 'vite.config.ts'), build: { outDir }, logLevel: 'warn' });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

export interface ServedSpa {
  /** `http://<host>:<port>`: the SPA's origin, to allow in CORS_ALLOWED_ORIGINS. */
  readonly origin: string;
  /** Points the page at another API from the next load on. */
  setApiBaseUrl(url: string): void;
  close(): Promise<void>;
}

export async function serveExampleSpa(options: { distDir: string; apiBaseUrl: string; host?: string; port?: number }): Promise<ServedSpa> {
  let apiBaseUrl = options.apiBaseUrl;
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://spa').pathname);
    const send = (status: number, type: string, body: string | Buffer) =>
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body);
    if (path === '/config.json') return void send(200, TYPES['.json']!, JSON.stringify({ apiBaseUrl }));
    const file = normalize(join(options.distDir, path));
    const inside = file.startsWith(`${normalize(options.distDir)}${sep}`);
    // Files under the build folder by their type; every other path is the app itself (client-side routes like /callback).
    const target = inside && extname(file) !== '' ? file : join(options.distDir, 'index.html');
    readFile(target)
      .then((body) => send(200, TYPES[extname(target)] ?? 'application/octet-stream', body))
      .catch(() => send(404, 'text/plain', 'not found'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${options.host ?? '127.0.0.1'}:${port}`,
    setApiBaseUrl: (url) => {
      apiBaseUrl = url;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
