/** The example SPA's build: plain Vite, with the SDK taken from the repository (libs/client). */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: { '@gatehouse/client': fileURLToPath(new URL('../../libs/client/src/index.ts', import.meta.url)) } },
  build: { target: 'es2022', emptyOutDir: true },
  logLevel: 'warn',
});
