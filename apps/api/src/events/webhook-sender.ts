/**
 * One webhook POST, under the same destination rules as a tenant's identity
 * provider (auth/outbound-url.ts): no credentials in the URL, https in AWS mode,
 * and — in AWS mode — no loopback, private, link-local or metadata address.
 * The host is resolved at every attempt, every address checked, and the
 * connection pinned to a checked address, so a DNS answer cannot change
 * between the check and the connect (DNS rebinding). Redirects are not
 * followed; the answer's body is read up to a small cap and thrown away.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type LookupFunction, isIP } from 'node:net';
import { type OutboundPolicy, OutboundUrlRefused, type ResolveHost, checkUrlShape, resolveHost, resolvePublicAddresses } from '../auth/outbound-url.js';

export type SendOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status: number | null; readonly error: string };

export interface SenderOptions extends OutboundPolicy {
  readonly timeoutMs: number;
  readonly resolve?: ResolveHost;
}

const MAX_ANSWER_BYTES = 64 * 1024;

function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

export class WebhookSender {
  constructor(private readonly options: SenderOptions) {}

  /** Checks a destination when it is registered (shape, and in AWS mode where it resolves now). */
  async assertAllowed(raw: string): Promise<void> {
    const url = checkUrlShape(raw, this.options);
    if (!this.options.allowPrivateAddresses) await resolvePublicAddresses(url, this.options, this.options.resolve ?? resolveHost);
  }

  async send(rawUrl: string, headers: Readonly<Record<string, string>>, body: string): Promise<SendOutcome> {
    let url: URL;
    let address: string;
    try {
      url = checkUrlShape(rawUrl, this.options);
      [address] = (await resolvePublicAddresses(url, this.options, this.options.resolve ?? resolveHost)) as [string];
    } catch (error) {
      if (error instanceof OutboundUrlRefused) return { ok: false, status: null, error: `destination refused: ${error.message}` };
      throw error;
    }
    return this.post(url, address, headers, body);
  }

  private post(url: URL, address: string, headers: Readonly<Record<string, string>>, body: string): Promise<SendOutcome> {
    const { timeoutMs } = this.options;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: SendOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        request.destroy();
        resolve(outcome);
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Gatehouse-Webhooks/1' },
          lookup: pinnedLookup(address),
          timeout: timeoutMs,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) finish(outcomeFor(status));
          });
          response.on('end', () => finish(outcomeFor(status)));
          response.on('error', () => finish(outcomeFor(status)));
        },
      );
      const deadline = setTimeout(() => finish({ ok: false, status: null, error: 'timed out' }), timeoutMs);
      request.on('timeout', () => finish({ ok: false, status: null, error: 'timed out' }));
      request.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, status: null, error: error.code ?? 'connection failed' }));
      request.end(body);
    });
  }
}

/** 2xx is success; anything else (3xx included: redirects are not followed) is a failed attempt. */
function outcomeFor(status: number): SendOutcome {
  return status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `answered ${status}` };
}
