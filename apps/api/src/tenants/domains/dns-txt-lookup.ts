/**
 * TXT lookups for e-mail domain verification, through node:dns's resolver
 * (c-ares), pointed at `DNS_RESOLVERS` when configured (tests: a real DNS
 * server on loopback) or the system's resolvers otherwise.
 *
 * Three outcomes, kept apart because they mean different things to the
 * operator: records found; no such name / no TXT record (the domain stays
 * pending, with a message saying what to publish); and no answer at all
 * (timeout, refused, server failure), which is an outage — 503 with
 * Retry-After, never a verdict about the domain.
 */
import { Resolver } from 'node:dns/promises';
import { Inject, Injectable } from '@nestjs/common';
import { ServiceUnavailableError } from '../../common/domain-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';

export type TxtLookupResult =
  | { readonly kind: 'found'; readonly records: readonly string[] }
  | { readonly kind: 'absent'; readonly reason: 'no_such_name' | 'no_txt_record' };

/** c-ares codes that are an answer about the name, not a failure to get one. */
const ABSENT: Readonly<Record<string, 'no_such_name' | 'no_txt_record'>> = {
  ENOTFOUND: 'no_such_name',
  ENODATA: 'no_txt_record',
};

const TRIES = 2;

export const dnsUnavailable = () =>
  new ServiceUnavailableError('dns_unavailable', 'The DNS lookup did not get an answer; try the verification again shortly.', 10);

@Injectable()
export class DnsTxtLookup {
  private readonly servers: readonly string[] | undefined;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.servers = config.env.DNS_RESOLVERS;
    this.timeoutMs = config.env.DNS_TIMEOUT_MS;
  }

  /** The TXT records at `name`, each record's character-strings joined (RFC 7208 §3.3 style). */
  async lookup(name: string): Promise<TxtLookupResult> {
    const resolver = new Resolver({ timeout: this.timeoutMs, tries: TRIES });
    if (this.servers) resolver.setServers([...this.servers]);
    // c-ares honours its own timeout; this bound also covers anything it does not (it cannot hang a request).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        resolver.cancel();
        reject(dnsUnavailable());
      }, this.timeoutMs * TRIES + 500);
    });
    try {
      const records = await Promise.race([resolver.resolveTxt(name), deadline]);
      return { kind: 'found', records: records.map((chunks) => chunks.join('')) };
    } catch (error) {
      const reason = ABSENT[(error as { code?: string }).code ?? ''];
      if (reason) return { kind: 'absent', reason };
      throw dnsUnavailable();
    } finally {
      clearTimeout(timer);
    }
  }
}
