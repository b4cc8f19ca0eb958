/**
 * Fetches a JWKS document for the key store (jwks-rsa's `fetcher`), with the
 * outbound rules of `outbound-url.ts` applied at the moment of the fetch:
 * the host is resolved, every address checked, and the connection pinned to a
 * checked address (so DNS cannot answer differently between check and
 * connect). Redirects are never followed (a 3xx is a failed fetch), the body
 * is capped, and the whole fetch has a deadline.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { type OutboundPolicy, OutboundUrlRefused, type ResolveHost, checkUrlShape, resolveHost, resolvePublicAddresses } from './outbound-url.js';

export interface GuardedFetcherOptions extends OutboundPolicy {
  readonly timeoutMs: number;
  /** Larger answers are refused; a real JWKS is a few KB. */
  readonly maxBytes?: number;
  /** Injected by tests (DNS rebinding); defaults to the system resolver. */
  readonly resolve?: ResolveHost;
}

export type JwksFetcher = (uri: string) => Promise<{ keys: unknown }>;

const DEFAULT_MAX_BYTES = 256 * 1024;

/** A `lookup` that answers with the one address we checked, whatever form Node asks for. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

export function createGuardedJwksFetcher(options: GuardedFetcherOptions): JwksFetcher {
  const fetchJson = createGuardedJsonFetcher(options, 'JWKS');
  return async (uri) => {
    const parsed = await fetchJson(uri);
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
      throw new Error('the JWKS document has no keys array');
    }
    return parsed as { keys: unknown };
  };
}

/**
 * A GET of a JSON document under the same rules (an IdP's discovery document, say).
 * `label` names the document in errors.
 */
export function createGuardedJsonFetcher(options: GuardedFetcherOptions, label: string): (uri: string) => Promise<unknown> {
  const resolve = options.resolve ?? resolveHost;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return async (uri) => {
    const url = checkUrlShape(uri, options);
    const [address] = await resolvePublicAddresses(url, options, resolve);
    return JSON.parse(await getOnce(url, address!, options.timeoutMs, maxBytes, label)) as unknown;
  };
}

function getOnce(url: URL, address: string, timeoutMs: number, maxBytes: number, label: string): Promise<string> {
  return new Promise((resolvePromise, rejectPromise) => {
    let settled = false;
    const finish = (error: Error | undefined, body?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error) {
        request.destroy();
        rejectPromise(error);
      } else {
        resolvePromise(body ?? '');
      }
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: 'GET', headers: { accept: 'application/json' }, lookup: pinnedLookup(address), timeout: timeoutMs }, (response) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        // 3xx included: following a redirect would let the IdP send us anywhere.
        finish(new OutboundUrlRefused(`the ${label} endpoint answered ${status}; redirects are not followed`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) finish(new Error(`the ${label} document is too large`));
        else chunks.push(chunk);
      });
      response.on('end', () => finish(undefined, Buffer.concat(chunks).toString('utf8')));
      response.on('error', (error) => finish(error));
    });
    const deadline = setTimeout(() => finish(new Error(`the ${label} fetch timed out`)), timeoutMs);
    request.on('timeout', () => finish(new Error(`the ${label} fetch timed out`)));
    request.on('error', (error) => finish(error));
    request.end();
  });
}
