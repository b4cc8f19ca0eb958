import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTlsMaterial, reloadTlsPeriodically } from './tls-files.js';

/** Self-signed test pairs for 127.0.0.1 (test/support/tls), valid until 2126. */
const fixture = (name: string) => join(process.cwd(), 'test', 'support', 'tls', name);
const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;

/** The certificate a fresh TLS connection to the server is given. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  let value = await read();
  // Generous on a loaded machine: the reload interval here is 50 ms.
  for (let attempt = 0; attempt < 400 && !accept(value); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe(loadTlsMaterial.name, () => {
  it('loads a certificate with its own key (issue 14 row 2)', () => {
    const sut = loadTlsMaterial({ certFile: fixture('a.crt'), keyFile: fixture('a.key') });
    expect(sut.cert).toContain('BEGIN CERTIFICATE');
    expect(sut.key).toContain('PRIVATE KEY');
  });

  it('refuses a key that is not the certificate’s, and files that are not PEM', () => {
    expect(() => loadTlsMaterial({ certFile: fixture('a.crt'), keyFile: fixture('b.key') })).toThrow(/is not the key of/);
    expect(() => loadTlsMaterial({ certFile: fixture('a.key'), keyFile: fixture('a.key') })).toThrow(/not a PEM certificate/);
    expect(() => loadTlsMaterial({ certFile: fixture('a.crt'), keyFile: fixture('a.crt') })).toThrow(/not a PEM private key/);
  });
});

describe(reloadTlsPeriodically.name, () => {
  let server: Server | undefined;
  let dir: string | undefined;
  let stop: (() => void) | undefined;

  afterEach(async () => {
    stop?.();
    if (server) await new Promise((resolve) => server!.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves a renewed certificate to new connections, and keeps the current one when the files are broken', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    copyFileSync(fixture('a.crt'), files.certFile);
    copyFileSync(fixture('a.key'), files.keyFile);
    const current = loadTlsMaterial(files);
    server = createServer({ cert: current.cert, key: current.key }, (_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const warnings: string[] = [];
    stop = reloadTlsPeriodically(server, files, current, (message) => warnings.push(message), 50);
    expect(await servedFingerprint(port)).toBe(fingerprint(fixture('a.crt')));

    // A half-written renewal (new certificate, old key) is not taken.
    copyFileSync(fixture('b.crt'), files.certFile);
    await until(async () => warnings.length, (count) => count > 0);
    expect(warnings[0]).toMatch(/keeping the current one/);
    expect(await servedFingerprint(port)).toBe(fingerprint(fixture('a.crt')));

    copyFileSync(fixture('b.key'), files.keyFile);
    expect(await until(() => servedFingerprint(port), (served) => served === fingerprint(fixture('b.crt')))).toBe(fingerprint(fixture('b.crt')));

    writeFileSync(files.certFile, 'not a certificate');
    const before = warnings.length;
    await until(async () => warnings.length, (count) => count > before);
    expect(await servedFingerprint(port)).toBe(fingerprint(fixture('b.crt')));
  });
});
