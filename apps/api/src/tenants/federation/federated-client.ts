/**
 * A bridge or silo tenant's public app client with the hosted UI switched on for exactly its providers
 * federated through Cognito — shared by operators' provider changes (federated-providers.service.ts) and
 * tier moves, which give the target's public client the providers the tenant had at the source
 * (tier-move/federation-move.ts).
 */
import type { AppClientBlueprint, UserPoolBlueprint } from '@gatehouse/tiers';
import type { HostedSignInSettings } from '../../identity/cognito/federation-requests.js';
import type { IdentityProvider, PoolRef } from '../../identity/identity-provider.js';

/** The public client and the contract that created it (Cognito resets whatever an UpdateUserPoolClient omits). */
export interface FederatedClientTarget {
  readonly pool: PoolRef;
  readonly clientId: string;
  readonly blueprint: UserPoolBlueprint;
  readonly client: AppClientBlueprint;
  readonly tokenValidity?: HostedSignInSettings['tokenValidity'];
}

/** What the client needs to know of each provider: its name and where the hosted UI may send users back to. */
export interface ClientFederatedProvider {
  readonly name: string;
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
}

/** The union of the providers' callback / logout URLs, in order, each once. */
export function hostedSignInSettings(providers: readonly ClientFederatedProvider[], tokenValidity?: HostedSignInSettings['tokenValidity']): HostedSignInSettings {
  const unique = (urls: readonly string[]) => [...new Set(urls)];
  return {
    providers: providers.map((provider) => provider.name),
    callbackUrls: unique(providers.flatMap((provider) => provider.callbackUrls)),
    logoutUrls: unique(providers.flatMap((provider) => provider.logoutUrls)),
    ...(tokenValidity ? { tokenValidity } : {}),
  };
}

/** UpdateUserPoolClient on the tenant's public client: the hosted UI for exactly these providers (none left: code flow off again). */
export function configureFederatedClient(
  identity: Pick<IdentityProvider, 'configureHostedSignIn'>,
  target: FederatedClientTarget,
  providers: readonly ClientFederatedProvider[],
): Promise<void> {
  return identity.configureHostedSignIn(target.pool, target.blueprint, target.client, target.clientId, hostedSignInSettings(providers, target.tokenValidity));
}
