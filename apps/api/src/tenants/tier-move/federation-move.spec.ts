/**
 * What a tier move does with a tenant's identity providers federated through Cognito. The emulator has no
 * DescribeIdentityProvider / CreateIdentityProvider / hosted UI, so these rules run against a fake
 * identity-provider port holding pools of providers; the exact Cognito requests are specified in
 * identity/cognito/federation-requests.spec.ts.
 */
import { bridgeClientBlueprints, parseTierConfigurationJson, sharedPoolBlueprints } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import type { FederatedProviderCopy, HostedSignInSettings } from '../../identity/cognito/federation-requests.js';
import { ProviderNotCopyable } from '../../identity/cognito/federation-requests.js';
import type { PoolRef } from '../../identity/identity-provider.js';
import {
  type FederationIdentity,
  type MovingProvider,
  assertCopyableMapping,
  assertProvidersCanMove,
  federatedPlaceholderSub,
  isFederatedPlaceholder,
  isFederatedUser,
  recreateProviders,
  removeSourceProviders,
  rollbackProviders,
  targetDomainPrefix,
} from './federation-move.js';
import type { FederationMoveState } from './tier-move-state.js';

const SOURCE: PoolRef = { userPoolId: 'eu-west-1_Source', region: 'eu-west-1' };
const TARGET: PoolRef = { userPoolId: 'eu-west-1_Target', region: 'eu-west-1' };
const tiers = parseTierConfigurationJson(JSON.stringify({ tiers: [{ name: 'standard', model: 'bridge', mfa: 'OPTIONAL' }] }));
const blueprint = sharedPoolBlueprints(tiers, { deployment: 'gh', deletionProtection: true }).find((candidate) => candidate.key === 'standard')!;
const CLIENT = { pool: TARGET, clientId: 'target-public', blueprint, client: bridgeClientBlueprints(blueprint, 'acme', { deployment: 'gh' }).public };

const provider = (name: string, type = 'SAML', callbackUrls = ['https://app.acme.example/callback']): MovingProvider => ({
  name,
  type,
  callbackUrls,
  logoutUrls: ['https://app.acme.example/'],
  hostedUiDomain: 'gh-acme',
});
const copyOf = (name: string, mapping: Record<string, string> = { email: 'email', username: 'sub' }): FederatedProviderCopy => ({
  name,
  type: 'OIDC',
  details: { client_id: `${name}-client`, client_secret: `${name}-secret`, oidc_issuer: 'https://idp.acme.example', authorize_scopes: 'openid email' },
  attributeMapping: mapping,
  idpIdentifiers: [],
});

/** Cognito as far as providers, domains, clients and users go: pools of named providers, every call logged. */
function fakeCognito(start: { source?: string[]; target?: string[]; targetDomain?: string } = {}) {
  const pools = new Map<string, Map<string, FederatedProviderCopy>>([
    [SOURCE.userPoolId, new Map((start.source ?? []).map((name) => [name, copyOf(name)]))],
    [TARGET.userPoolId, new Map((start.target ?? []).map((name) => [name, { ...copyOf(name), details: { client_id: 'someone-else' } }]))],
  ]);
  const domains = new Map<string, string>(start.targetDomain ? [[TARGET.userPoolId, start.targetDomain]] : []);
  const calls: string[] = [];
  const clients: HostedSignInSettings[] = [];
  const identity: FederationIdentity = {
    async describeFederatedProvider(pool, name) {
      calls.push(`describe ${pool.userPoolId} ${name}`);
      return pools.get(pool.userPoolId)!.get(name);
    },
    async createFederatedProviderCopy(pool, copy) {
      calls.push(`create ${pool.userPoolId} ${copy.name}`);
      const providers = pools.get(pool.userPoolId)!;
      if (providers.has(copy.name)) throw Object.assign(new Error('exists'), { name: 'DuplicateProviderException' });
      providers.set(copy.name, copy);
    },
    async updateFederatedProviderCopy(pool, copy) {
      calls.push(`update ${pool.userPoolId} ${copy.name}`);
      pools.get(pool.userPoolId)!.set(copy.name, copy);
    },
    async deleteFederatedProvider(pool, name) {
      calls.push(`delete ${pool.userPoolId} ${name}`);
      pools.get(pool.userPoolId)!.delete(name);
    },
    async ensureHostedUiDomain(pool, prefix) {
      calls.push(`domain ${pool.userPoolId} ${prefix}`);
      if (!domains.has(pool.userPoolId)) domains.set(pool.userPoolId, prefix);
      return domains.get(pool.userPoolId)!;
    },
    async configureHostedSignIn(pool, _blueprint, client, clientId, settings) {
      calls.push(`client ${pool.userPoolId} ${clientId} ${client.name}`);
      clients.push(settings);
    },
    async deleteUser(pool, username) {
      calls.push(`delete-user ${pool.userPoolId} ${username}`);
    },
  };
  return { identity, pools, calls, clients };
}

function recreate(
  cognito: ReturnType<typeof fakeCognito>,
  options: { providers: MovingProvider[]; sharedTarget?: boolean; recorded?: FederationMoveState | null; claimed?: string[] },
) {
  const records: FederationMoveState[] = [];
  const result = recreateProviders({
    identity: cognito.identity,
    cognito: (call) => call(),
    providers: options.providers,
    source: SOURCE,
    target: TARGET,
    sharedTarget: options.sharedTarget ?? true,
    domainPrefix: 'gh-acme-standard',
    client: CLIENT,
    recorded: options.recorded ?? null,
    record: async (federation) => {
      records.push(federation);
    },
    claimedElsewhere: async (name) => (options.claimed ?? []).includes(name),
  });
  return { result, records };
}

describe(assertProvidersCanMove.name, () => {
  it('refuses a pool-model target while the tenant has providers, saying to remove them first', () => {
    expect(() => assertProvidersCanMove([provider('acme-ad')], 'pool')).toThrow(expect.objectContaining({ status: 409, code: 'federation_not_available_in_pool_model' }));
    expect(() => assertProvidersCanMove([provider('acme-ad')], 'pool')).toThrow(/Remove those providers first/);
    expect(() => assertProvidersCanMove([], 'pool')).not.toThrow();
    expect(() => assertProvidersCanMove([provider('acme-ad'), provider('Google', 'Google')], 'silo')).not.toThrow();
  });

  it('refuses Sign in with Apple, whose private key Cognito never returns', () => {
    expect(() => assertProvidersCanMove([provider('SignInWithApple', 'SignInWithApple')], 'bridge')).toThrow(
      expect.objectContaining({ status: 409, code: 'federated_provider_not_movable' }),
    );
  });
});

describe(targetDomainPrefix.name, () => {
  it('asks for the tenant’s own prefix, or one naming the target tier when the source holds that one', () => {
    expect(targetDomainPrefix('gh', 'acme', 'premium', ['gh-other'])).toBe('gh-acme');
    expect(targetDomainPrefix('gh', 'acme', 'premium', ['gh-acme'])).toBe('gh-acme-premium');
  });
});

describe(assertCopyableMapping.name, () => {
  it('keeps Cognito’s own username mapping, refuses tenant and role attributes set at the source outside Gatehouse', () => {
    expect(() => assertCopyableMapping(copyOf('acme-ad'))).not.toThrow();
    expect(() => assertCopyableMapping(copyOf('acme-ad', { email: 'email', 'custom:tenantId': 'tid' }))).toThrow(
      expect.objectContaining({ code: 'federated_provider_not_movable', detail: expect.stringContaining('attributeMapping.custom:tenantId') }),
    );
    expect(() => assertCopyableMapping(copyOf('acme-ad', { email: 'email', 'custom:role': 'groups' }))).toThrow(/not one Gatehouse allows/);
  });
});

describe(recreateProviders.name, () => {
  it('copies every provider from the source, ensures the target’s domain and lists them all on the target’s public client', async () => {
    const cognito = fakeCognito({ source: ['acme-ad', 'Google'] });
    const { result, records } = recreate(cognito, { providers: [provider('acme-ad'), provider('Google', 'Google', ['https://app.acme.example/google'])] });
    await expect(result).resolves.toEqual({ targetDomain: 'gh-acme-standard', pending: ['acme-ad', 'Google'], created: ['acme-ad', 'Google'] });
    // Written down before any creation: a resumed step recognises its own providers.
    expect(records).toEqual([{ targetDomain: null, pending: ['acme-ad', 'Google'], created: [] }]);
    expect(cognito.pools.get(TARGET.userPoolId)!.get('acme-ad')).toEqual(copyOf('acme-ad'));
    expect(cognito.calls).toEqual([
      'domain eu-west-1_Target gh-acme-standard',
      'describe eu-west-1_Source acme-ad',
      'create eu-west-1_Target acme-ad',
      'describe eu-west-1_Source Google',
      'create eu-west-1_Target Google',
      `client eu-west-1_Target target-public ${CLIENT.client.name}`,
    ]);
    expect(cognito.clients).toEqual([
      {
        providers: ['acme-ad', 'Google'],
        callbackUrls: ['https://app.acme.example/callback', 'https://app.acme.example/google'],
        logoutUrls: ['https://app.acme.example/'],
      },
    ]);
  });

  it('does nothing for a tenant without providers', async () => {
    const cognito = fakeCognito();
    await expect(recreate(cognito, { providers: [] }).result).resolves.toBeNull();
    expect(cognito.calls).toEqual([]);
  });

  it('a bridge target pool that already has a domain keeps it', async () => {
    const cognito = fakeCognito({ source: ['acme-ad'], targetDomain: 'gh-first-tenant' });
    await expect(recreate(cognito, { providers: [provider('acme-ad')] }).result).resolves.toMatchObject({ targetDomain: 'gh-first-tenant' });
  });

  it('resumed: updates a provider it wrote down as pending and finds already there; skips what it recorded as created', async () => {
    const cognito = fakeCognito({ source: ['acme-ad', 'Google'], target: ['acme-ad', 'Google'] });
    const recorded = { targetDomain: null, pending: ['acme-ad', 'Google'], created: ['Google'] };
    const { result, records } = recreate(cognito, { providers: [provider('acme-ad'), provider('Google', 'Google')], recorded });
    await expect(result).resolves.toEqual({ targetDomain: 'gh-acme-standard', pending: ['acme-ad', 'Google'], created: ['Google', 'acme-ad'] });
    expect(records).toEqual([]);
    expect(cognito.calls.filter((call) => !call.startsWith('domain') && !call.startsWith('client'))).toEqual([
      'describe eu-west-1_Source acme-ad',
      'create eu-west-1_Target acme-ad',
      'update eu-west-1_Target acme-ad',
    ]);
    expect(cognito.pools.get(TARGET.userPoolId)!.get('acme-ad')).toEqual(copyOf('acme-ad'));
  });

  it('bridge target: never takes over another tenant’s provider of the same name (not its own pending one, or claimed by another tenant)', async () => {
    const stranger = fakeCognito({ source: ['Google'], target: ['Google'] });
    await expect(recreate(stranger, { providers: [provider('Google', 'Google')] }).result).rejects.toMatchObject({ status: 409, code: 'federated_provider_name_taken' });
    expect(stranger.calls).not.toContain('update eu-west-1_Target Google');
    expect(stranger.pools.get(TARGET.userPoolId)!.get('Google')?.details).toEqual({ client_id: 'someone-else' });

    const claimed = fakeCognito({ source: ['Google'], target: ['Google'] });
    const recorded = { targetDomain: null, pending: ['Google'], created: [] };
    await expect(recreate(claimed, { providers: [provider('Google', 'Google')], recorded, claimed: ['Google'] }).result).rejects.toMatchObject({
      code: 'federated_provider_name_taken',
    });
    expect(claimed.calls).not.toContain('update eu-west-1_Target Google');
  });

  it('silo target (the tenant’s own new pool): a provider already there is its own, updated', async () => {
    const cognito = fakeCognito({ source: ['acme-ad'], target: ['acme-ad'] });
    await expect(recreate(cognito, { providers: [provider('acme-ad')], sharedTarget: false }).result).resolves.toMatchObject({ created: ['acme-ad'] });
    expect(cognito.calls).toContain('update eu-west-1_Target acme-ad');
  });

  it('fails the step with federated_provider_not_movable when the source lacks the provider or Cognito’s answer cannot be copied', async () => {
    const missing = fakeCognito({ source: [] });
    await expect(recreate(missing, { providers: [provider('acme-ad')] }).result).rejects.toMatchObject({ status: 409, code: 'federated_provider_not_movable' });
    const unreadable = fakeCognito({ source: ['acme-ad'] });
    unreadable.identity.describeFederatedProvider = async () => {
      throw new ProviderNotCopyable('Cognito did not return private_key of provider acme-ad');
    };
    await expect(recreate(unreadable, { providers: [provider('acme-ad')] }).result).rejects.toMatchObject({
      code: 'federated_provider_not_movable',
      detail: expect.stringContaining('private_key'),
    });
    expect(unreadable.calls.filter((call) => call.startsWith('create'))).toEqual([]);
  });
});

describe(rollbackProviders.name, () => {
  const rollback = (cognito: ReturnType<typeof fakeCognito>, recorded: FederationMoveState | null, claimed: string[] = []) =>
    rollbackProviders({ identity: cognito.identity, cognito: (call) => call(), target: TARGET, recorded, claimedElsewhere: async (name) => claimed.includes(name) });

  it('deletes what the move created on the target, and a pending one nobody else claims; never another tenant’s', async () => {
    const cognito = fakeCognito({ target: ['acme-ad', 'Google', 'okta'] });
    await rollback(cognito, { targetDomain: 'gh-std', pending: ['acme-ad', 'Google', 'okta'], created: ['acme-ad'] }, ['Google']);
    expect(cognito.calls).toEqual(['delete eu-west-1_Target acme-ad', 'delete eu-west-1_Target okta']);
    expect([...cognito.pools.get(TARGET.userPoolId)!.keys()]).toEqual(['Google']);
  });

  it('has nothing to do when the step never ran', async () => {
    const cognito = fakeCognito({ target: ['Google'] });
    await rollback(cognito, null);
    expect(cognito.calls).toEqual([]);
  });
});

describe(removeSourceProviders.name, () => {
  it('removes a bridge source’s federated users, then its providers, from the shared pool; not a name another tenant took since', async () => {
    const cognito = fakeCognito({ source: ['acme-ad', 'Google'] });
    await removeSourceProviders({
      identity: cognito.identity,
      cognito: (call) => call(),
      source: SOURCE,
      providers: [provider('acme-ad'), provider('Google', 'Google')],
      usernames: ['opaque-1', 'acme-ad_ann', 'google_1234', 'acme-adx_bob'],
      claimedElsewhere: async (name) => name === 'Google',
    });
    expect(cognito.calls).toEqual(['delete-user eu-west-1_Source acme-ad_ann', 'delete eu-west-1_Source acme-ad']);
  });
});

describe(isFederatedUser.name, () => {
  it('leaves to Cognito a `<provider>_…` user of the tenant’s providers, or one Cognito says federation created', () => {
    expect(isFederatedUser('acme-ad_ann', ['acme-ad'])).toBe(true);
    expect(isFederatedUser('google_1234', ['Google'])).toBe(true);
    expect(isFederatedUser('old-idp_bob', ['acme-ad'], 'EXTERNAL_PROVIDER')).toBe(true);
    // Gatehouse's own opaque usernames, with a password of their own: copied.
    expect(isFederatedUser('gh1-5f0c2a', ['acme-ad'], 'CONFIRMED')).toBe(false);
    expect(isFederatedUser('acme-adx_bob', ['acme-ad'], 'FORCE_CHANGE_PASSWORD')).toBe(false);
  });
});

describe(federatedPlaceholderSub.name, () => {
  it('is a `none:` identity: cut-over does not swap it and drain_source does not wait for its password', () => {
    const sub = federatedPlaceholderSub('user-1');
    // tier-move.service.ts: cut_over swaps only identities NOT LIKE 'none:%'; drain_source counts only those not starting with 'none:'.
    expect(sub.startsWith('none:')).toBe(true);
    expect(isFederatedPlaceholder(sub)).toBe(true);
    expect(isFederatedPlaceholder('none:missing:user-1')).toBe(false);
    expect(isFederatedPlaceholder('2f0c…-a-real-sub')).toBe(false);
  });
});
