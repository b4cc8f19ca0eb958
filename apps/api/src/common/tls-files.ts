/**
 * The API's own TLS listener (issue 14 row 2: TLS from the load balancer to
 * the pod). With TLS_CERT_FILE and TLS_KEY_FILE set, the public listener
 * serves HTTPS only. In the cluster the files are a cert-manager Certificate's
 * Secret mounted into the pod; cert-manager renews it before it expires and
 * the kubelet updates the mounted files, so the listener re-reads them
 * periodically and swaps its certificate in place (no restart, no dropped
 * connection). A pair that does not load is refused at boot and ignored (with
 * a warning) at reload, keeping the certificate that works.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server as TlsServer } from 'node:tls';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/** Reads and checks a certificate (chain) and its private key; throws a message naming the problem. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readFileSync(files.certFile, 'utf8');
  const key = readFileSync(files.keyFile, 'utf8');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new Error(`${files.certFile} is not a PEM certificate`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`${files.keyFile} is not a PEM private key`);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new Error(`${files.keyFile} is not the key of ${files.certFile}`);
  return { cert, key };
}

/** How often the mounted files are compared with what the listener serves (cert-manager renews days ahead). */
export const TLS_RELOAD_INTERVAL_MS = 60_000;

/**
 * Re-reads the files every `intervalMs` and, when they changed and load, gives
 * the server the new certificate for new connections. Returns the stop function.
 */
export function reloadTlsPeriodically(
  server: Pick<TlsServer, 'setSecureContext'>,
  files: TlsFiles,
  current: TlsMaterial,
  warn: (message: string) => void,
  intervalMs = TLS_RELOAD_INTERVAL_MS,
): () => void {
  let served = current;
  const timer = setInterval(() => {
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(files);
    } catch (error) {
      warn(`TLS certificate not reloaded, keeping the current one: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (next.cert === served.cert && next.key === served.key) return;
    server.setSecureContext({ cert: next.cert, key: next.key });
    served = next;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
