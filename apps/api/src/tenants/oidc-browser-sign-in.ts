/**
 * Front-channel sign-in at a tenant's own OpenID Connect provider: where a
 * browser is sent (authorization endpoint) and where it trades the code
 * (token endpoint), read from the provider's discovery document. Fetched by
 * the API, through the guarded outbound fetcher, when an operator sets the
 * browser client id — never at lookup time and never from a token — and
 * checked: the document must name the registered issuer exactly, both
 * endpoints must pass the outbound URL rules, and the provider must offer the
 * code flow with PKCE S256 when it lists what it supports.
 */
import { ServiceUnavailableError, ValidationFailedError } from '../common/domain-error.js';
import { type OutboundPolicy, OutboundUrlRefused, checkUrlShape } from '../auth/outbound-url.js';

export interface BrowserEndpoints {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

export type FetchJson = (uri: string) => Promise<unknown>;

const DISCOVERY_RETRY_AFTER_SECONDS = 30;

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

const refused = (message: string) => new ValidationFailedError([{ path: 'issuer', message }], 'The provider’s discovery document cannot be used.');

export async function discoverBrowserEndpoints(issuer: string, fetchJson: FetchJson, policy: OutboundPolicy): Promise<BrowserEndpoints> {
  let document: unknown;
  try {
    document = await fetchJson(discoveryUrl(issuer));
  } catch (error) {
    if (error instanceof OutboundUrlRefused) throw refused(`discovery: ${error.message}`);
    if (error instanceof SyntaxError) throw refused('discovery: the document is not JSON');
    // Unreachable, timed out, reset: the provider may be back shortly.
    throw new ServiceUnavailableError(
      'identity_provider_discovery_unavailable',
      'The provider’s discovery document could not be fetched; try again later.',
      DISCOVERY_RETRY_AFTER_SECONDS,
    );
  }
  if (typeof document !== 'object' || document === null) throw refused('discovery: the document is not a JSON object');
  const fields = document as Record<string, unknown>;
  if (fields['issuer'] !== issuer) throw refused('discovery: the document names another issuer');
  const endpoint = (name: 'authorization_endpoint' | 'token_endpoint'): string => {
    const value = fields[name];
    if (typeof value !== 'string') throw refused(`discovery: no ${name}`);
    try {
      return checkUrlShape(value, policy).href;
    } catch (error) {
      if (error instanceof OutboundUrlRefused) throw refused(`discovery: ${name} ${error.message}`);
      throw error;
    }
  };
  const lists = (name: string, wanted: string): boolean => {
    const value = fields[name];
    return !Array.isArray(value) || value.includes(wanted);
  };
  if (!lists('response_types_supported', 'code')) throw refused('discovery: the provider does not offer the authorization-code flow');
  if (!lists('code_challenge_methods_supported', 'S256')) throw refused('discovery: the provider does not offer PKCE with S256');
  return { authorizationEndpoint: endpoint('authorization_endpoint'), tokenEndpoint: endpoint('token_endpoint') };
}
