/**
 * One signed POST to a hook, with the outbound rules of `auth/outbound-url.ts`
 * applied at the moment of the call (as the guarded JWKS fetcher does): the
 * host is resolved, every address checked, and the connection pinned to a
 * checked address, so DNS cannot answer differently between check and
 * connect. Redirects are never followed, the answer is capped, and the whole
 * call has a deadline. Never throws: every way a hook can misbehave comes
 * back as a `failure` with a reason, for the caller's failure mode to judge.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type OutboundPolicy, OutboundUrlRefused, type ResolveHost, checkUrlShape, pinnedLookup, resolveHost, resolvePublicAddresses } from '../../auth/outbound-url.js';
import { signMessage } from '../standard-webhooks.js';
import { HOOK_MAX_RESPONSE_BYTES } from './hook-contract.js';

export type HookFailureReason = 'refused_url' | 'timeout' | 'network' | 'status' | 'too_large' | 'not_json' | 'invalid_answer';

export type HookCallResult =
  | { readonly ok: true; readonly body: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly reason: HookFailureReason; readonly status?: number; readonly durationMs: number };

export interface HookCallTarget {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
}

export interface HookCallerOptions extends OutboundPolicy {
  /** Injected by tests (DNS rebinding); defaults to the system resolver. */
  readonly resolve?: ResolveHost;
}

export class HookCaller {
  private readonly resolve: ResolveHost;

  constructor(private readonly options: HookCallerOptions) {
    this.resolve = options.resolve ?? resolveHost;
  }

  async call(target: HookCallTarget, payload: unknown): Promise<HookCallResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // One deadline for everything, DNS included: a hook never holds a sign-in longer than its timeout.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<HookCallResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: 'timeout', durationMs: elapsed() }), target.timeoutMs);
    });
    const controller = new AbortController();
    try {
      return await Promise.race([deadline, this.attempt(target, payload, controller.signal, elapsed)]);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  private async attempt(target: HookCallTarget, payload: unknown, signal: AbortSignal, elapsed: () => number): Promise<HookCallResult> {
    let url: URL;
    let address: string;
    try {
      url = checkUrlShape(target.url, this.options);
      [address] = (await resolvePublicAddresses(url, this.options, this.resolve)) as [string];
    } catch (error) {
      if (error instanceof OutboundUrlRefused) return { ok: false, reason: 'refused_url', durationMs: elapsed() };
      return { ok: false, reason: 'network', durationMs: elapsed() };
    }
    const body = JSON.stringify(payload);
    const headers = {
      ...signMessage([target.secret], `msg_${randomUUID()}`, body),
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Gatehouse-Hooks/1',
    };
    return new Promise<HookCallResult>((resolve) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(url, { method: 'POST', headers, lookup: pinnedLookup(address), signal, agent: false }, (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          // 3xx included: following a redirect would let the hook send us anywhere.
          response.resume();
          resolve({ ok: false, reason: 'status', status, durationMs: elapsed() });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > HOOK_MAX_RESPONSE_BYTES) {
            response.destroy();
            resolve({ ok: false, reason: 'too_large', durationMs: elapsed() });
          } else {
            chunks.push(chunk);
          }
        });
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (text.trim() === '') {
            resolve({ ok: true, body: undefined, durationMs: elapsed() });
            return;
          }
          try {
            resolve({ ok: true, body: JSON.parse(text) as unknown, durationMs: elapsed() });
          } catch {
            resolve({ ok: false, reason: 'not_json', durationMs: elapsed() });
          }
        });
        response.on('error', () => resolve({ ok: false, reason: 'network', durationMs: elapsed() }));
      });
      request.on('error', () => resolve({ ok: false, reason: 'network', durationMs: elapsed() }));
      request.end(body);
    });
  }
}
