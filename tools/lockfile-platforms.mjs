#!/usr/bin/env node
// Completes package-lock.json with the other platforms' optional native builds.
//
// Why: packages such as @swc/core and nx list a native build per platform as
// optionalDependencies. The registry this project installs from serves only
// some of them (Linux ones), so `npm install` leaves the others out of the lock
// — and `npm ci` then refuses the lock as "out of sync" ("Missing:
// @swc/core-darwin-arm64@ from lock file"). npm never fetches an optional
// package whose os/cpu/libc do not match the machine, so an entry that states
// its version and platform is all `npm ci` needs. Run this after changing
// dependencies:  npm install && node tools/lockfile-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));

const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openbsd', 'sunos', 'aix'];
const CPU = { arm64: 'arm64', aarch64: 'arm64', x64: 'x64', ia32: 'ia32', arm: 'arm', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64' };

/** os / cpu / libc from a platform package's name, e.g. `@swc/core-linux-arm-gnueabihf`. */
export function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.map((part) => CPU[part]).find(Boolean);
  if (!os || !cpu) return undefined;
  const libc = os === 'linux' ? (parts.includes('musl') ? 'musl' : parts.some((part) => part.startsWith('gnu')) ? 'glibc' : undefined) : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const childPath = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoistedPath = `node_modules/${name}`;
    if (lock.packages[childPath] || lock.packages[hoistedPath]) continue;
    const platform = platformOf(name);
    if (!platform) continue; // not a platform build: leave it to npm
    lock.packages[hoistedPath] = { version, ...platform, ...(entry.dev ? { dev: true } : {}), optional: true };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} foreign-platform optional entr${added === 1 ? 'y' : 'ies'}`);
