/**
 * The trusted-issuer registry: the allow-list every token's `iss` is checked
 * against before anything else happens, and the in-memory tenant directory the
 * guard resolves tenants from. Pure data: built from the configuration's shared
 * pools plus tenant snapshots read from the registry tables, and updated one
 * tenant at a time, so a change never rebuilds the whole index.
 *
 * Every lookup is a Map access — constant time however many tenants exist.
 */
import type { IsolationModel, MfaPolicy, PasswordPolicy, SignInAlias, TenantRole } from '@gatehouse/tiers';

export type SignUpPolicy = 'closed' | 'domains' | 'open';

export type TenantStatus = 'provisioning' | 'active' | 'suspended' | 'deleting' | 'deleted' | 'failed';

export interface ClaimMapping {
  /** Claim holding the e-mail address (default `email`). */
  readonly email?: string;
  /** Claim holding group names (default `groups`). */
  readonly groups?: string;
  /** IdP group → Gatehouse role. */
  readonly roleMap?: Readonly<Record<string, TenantRole>>;
  /** Role when no group maps (default `member`). */
  readonly defaultRole?: TenantRole;
}

export interface TenantSnapshot {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly tier: string;
  readonly model: IsolationModel;
  readonly status: TenantStatus;
  readonly region: string;
  readonly userPoolId: string | null;
  readonly issuer: string | null;
  readonly hosts: readonly string[];
  /** The tenant's VERIFIED e-mail domains only (DNS TXT proof): only these route and admit sign-ups. */
  readonly emailDomains: readonly string[];
  /** Who may sign up through the public API; absent means `closed` (fail closed). */
  readonly signUpPolicy?: SignUpPolicy;
  /** The role self-sign-ups get (never `admin`); absent means `member`. */
  readonly signUpDefaultRole?: Exclude<TenantRole, 'admin'>;
  /** Per-tenant tightening of the tier's password policy (silo tenants). */
  readonly passwordPolicy?: Partial<PasswordPolicy> | null;
  /** `required`: no tokens without TOTP (silo pools through Cognito, shared pools through Gatehouse). */
  readonly mfaPolicy: MfaPolicy;
  /** Silo pools: the pool's Cognito sign-in aliases as recorded when it was created (absent: none known). */
  readonly signInAliases?: readonly SignInAlias[];
  /** The tenant's own app clients (bridge, silo): its public client and its Gatehouse client; tokens of either resolve it. */
  readonly appClients: readonly {
    readonly clientId: string;
    readonly issuer: string;
    readonly userPoolId: string;
    /** Absent means public. */
    readonly role?: 'public' | 'gatehouse';
  }[];
  readonly identityProviders: readonly {
    readonly issuer: string;
    readonly audience: string;
    readonly jwksUri: string;
    readonly claimMapping: ClaimMapping;
    readonly enabled: boolean;
    /** Front-channel sign-in (code + PKCE from the browser), when an operator set it up. */
    readonly browserSignIn?: BrowserSignInSettings;
  }[];
  /** Identity providers federated through Cognito (bridge, silo): lookup's `cognito-hosted` entries. Absent: none. */
  readonly federatedProviders?: readonly {
    readonly name: string;
    readonly displayName: string;
    /** Role of the users it creates (never admin). */
    readonly defaultRole: 'member' | 'viewer';
    readonly callbackUrls: readonly string[];
    readonly hostedUiDomain: string;
  }[];
  /**
   * While the tenant moves between tiers: the other side's model, tier and pool
   * (the target before cut-over, the source after it). Its tokens are trusted
   * for this tenant too; absent otherwise.
   */
  readonly movingWith?: MovingWith | null;
}

export interface MovingWith {
  readonly tier: string;
  readonly model: IsolationModel;
  readonly region: string;
  readonly userPoolId: string | null;
  readonly issuer: string | null;
  readonly clientId: string | null;
  readonly gatehouseClientId: string | null;
  /** `target`: where the tenant is going (before cut-over); `source`: where it came from (after cut-over); `abandoned`: a cancelled move's target. */
  readonly direction: 'target' | 'source' | 'abandoned';
}

export interface BrowserSignInSettings {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

/** Signature algorithms Cognito uses; nothing else is accepted from a Cognito issuer. */
export const COGNITO_ALGORITHMS = ['RS256'] as const;
/** Asymmetric algorithms accepted from tenants' own OIDC providers. Never HMAC, never `none`. */
export const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'] as const;

export type CognitoPoolRole =
  | { readonly kind: 'tier'; readonly tier: string; readonly model: 'pool' | 'bridge' }
  | { readonly kind: 'operators' }
  | { readonly kind: 'silo'; readonly tenantId: string };

export interface CognitoIssuer {
  readonly kind: 'cognito';
  readonly issuer: string;
  readonly jwksUri: string;
  readonly algorithms: readonly string[];
  readonly pool: CognitoPoolRole;
  /** App clients of this pool Gatehouse accepts: client id → its tenant, or null for a shared client. */
  readonly clients: Map<string, string | null>;
}

export interface ExternalIssuer {
  readonly kind: 'external';
  readonly issuer: string;
  readonly jwksUri: string;
  readonly algorithms: readonly string[];
  readonly tenantId: string;
  readonly audience: string;
  readonly claimMapping: ClaimMapping;
}

export type TrustedIssuer = CognitoIssuer | ExternalIssuer;

export interface SharedPoolSource {
  readonly key: string;
  readonly issuer: string;
  /** The pool's shared clients (public and Gatehouse); none for a bridge tier's pool. */
  readonly clientIds: readonly string[];
  readonly pool: CognitoPoolRole;
}

/** Statuses whose tenants stay in the registry: active ones serve, suspended ones are refused with a clear 403. */
const LISTED_STATUSES: ReadonlySet<TenantStatus> = new Set(['active', 'suspended']);

export function cognitoJwksUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
}

/** The tenant an issuer entry was added for (silo pools, external providers); shared pools belong to none. */
function issuerOwner(entry: TrustedIssuer): string | undefined {
  if (entry.kind === 'external') return entry.tenantId;
  return entry.pool.kind === 'silo' ? entry.pool.tenantId : undefined;
}

export class IssuerRegistry {
  private readonly issuers = new Map<string, TrustedIssuer>();
  private readonly tenants = new Map<string, TenantSnapshot>();
  private readonly tenantIdsBySlug = new Map<string, string>();
  private readonly tenantIdsByHost = new Map<string, string>();
  private readonly tenantIdsByEmailDomain = new Map<string, string>();
  /** What each tenant added, so it can be removed exactly. */
  private readonly contributions = new Map<string, { issuers: string[]; clients: [issuer: string, clientId: string][] }>();

  /**
   * @param acceptIssuer decides whether an issuer URL may be trusted at all in
   *   this mode (e.g. only `https://cognito-idp.*` in AWS mode, the emulator's in local mode).
   */
  constructor(
    sharedPools: readonly SharedPoolSource[],
    private readonly acceptIssuer: (issuer: string, kind: 'cognito' | 'external') => boolean,
  ) {
    for (const shared of sharedPools) {
      if (!acceptIssuer(shared.issuer, 'cognito')) continue;
      const clients = new Map<string, string | null>();
      for (const clientId of shared.clientIds) clients.set(clientId, null);
      this.issuers.set(shared.issuer, {
        kind: 'cognito',
        issuer: shared.issuer,
        jwksUri: cognitoJwksUri(shared.issuer),
        algorithms: COGNITO_ALGORITHMS,
        pool: shared.pool,
        clients,
      });
    }
  }

  get size(): { issuers: number; tenants: number } {
    return { issuers: this.issuers.size, tenants: this.tenants.size };
  }

  issuer(iss: string): TrustedIssuer | undefined {
    return this.issuers.get(iss);
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  tenant(id: string): TenantSnapshot | undefined {
    return this.tenants.get(id);
  }

  tenantBySlug(slug: string): TenantSnapshot | undefined {
    const id = this.tenantIdsBySlug.get(slug.toLowerCase());
    return id ? this.tenants.get(id) : undefined;
  }

  tenantByHost(host: string): TenantSnapshot | undefined {
    const id = this.tenantIdsByHost.get(host.toLowerCase());
    return id ? this.tenants.get(id) : undefined;
  }

  tenantByEmailDomain(domain: string): TenantSnapshot | undefined {
    const id = this.tenantIdsByEmailDomain.get(domain.toLowerCase());
    return id ? this.tenants.get(id) : undefined;
  }

  /** Adds, replaces or (for unlisted statuses / null) removes one tenant. */
  upsertTenant(tenantId: string, snapshot: TenantSnapshot | null): void {
    this.removeTenant(tenantId);
    if (!snapshot || !LISTED_STATUSES.has(snapshot.status)) return;

    const added = { issuers: [] as string[], clients: [] as [string, string][] };
    this.tenants.set(snapshot.id, snapshot);
    this.tenantIdsBySlug.set(snapshot.slug, snapshot.id);
    for (const host of snapshot.hosts) this.tenantIdsByHost.set(host, snapshot.id);
    for (const domain of snapshot.emailDomains) this.tenantIdsByEmailDomain.set(domain, snapshot.id);

    this.trustSide(snapshot, snapshot.model, snapshot.issuer, added, false);
    // A tenant moving between tiers is trusted on both sides until the move lets go of one (tenants/tier-move).
    if (snapshot.movingWith) this.trustSide(snapshot, snapshot.movingWith.model, snapshot.movingWith.issuer, added, true);

    for (const provider of snapshot.identityProviders) {
      if (!provider.enabled || !this.acceptIssuer(provider.issuer, 'external')) continue;
      // An external issuer can never shadow a Cognito pool or another tenant's provider.
      if (this.issuers.has(provider.issuer)) continue;
      this.issuers.set(provider.issuer, {
        kind: 'external',
        issuer: provider.issuer,
        jwksUri: provider.jwksUri,
        algorithms: EXTERNAL_ALGORITHMS,
        tenantId: snapshot.id,
        audience: provider.audience,
        claimMapping: provider.claimMapping,
      });
      added.issuers.push(provider.issuer);
    }
    this.contributions.set(snapshot.id, added);
  }

  /** Trusts the tenant's tokens from one side: its silo pool, or its own clients in a bridge tier's pool (pool tiers need nothing). */
  private trustSide(
    snapshot: TenantSnapshot,
    model: IsolationModel,
    issuer: string | null,
    added: { issuers: string[]; clients: [string, string][] },
    onlyThisIssuer: boolean,
  ): void {
    const existingSilo = issuer ? this.issuers.get(issuer) : undefined;
    // A silo pool takes its issuer back from an external provider, but never replaces a configured shared pool or another silo's pool.
    const siloIssuerFree = existingSilo === undefined || existingSilo.kind === 'external';
    if (model === 'silo' && issuer && siloIssuerFree && this.acceptIssuer(issuer, 'cognito')) {
      const clients = new Map<string, string | null>();
      for (const client of snapshot.appClients) {
        if (client.issuer === issuer) clients.set(client.clientId, snapshot.id);
      }
      this.issuers.set(issuer, {
        kind: 'cognito',
        issuer,
        jwksUri: cognitoJwksUri(issuer),
        algorithms: COGNITO_ALGORITHMS,
        pool: { kind: 'silo', tenantId: snapshot.id },
        clients,
      });
      added.issuers.push(issuer);
    }

    if (model === 'bridge') {
      for (const client of snapshot.appClients) {
        if (onlyThisIssuer && client.issuer !== issuer) continue;
        const shared = this.issuers.get(client.issuer);
        // A bridge client is trusted only inside a shared bridge-tier pool from the configuration.
        if (shared?.kind === 'cognito' && shared.pool.kind === 'tier' && shared.pool.model === 'bridge') {
          shared.clients.set(client.clientId, snapshot.id);
          added.clients.push([client.issuer, client.clientId]);
        }
      }
    }
  }

  private removeTenant(tenantId: string): void {
    const previous = this.tenants.get(tenantId);
    if (previous) {
      this.tenants.delete(tenantId);
      if (this.tenantIdsBySlug.get(previous.slug) === tenantId) this.tenantIdsBySlug.delete(previous.slug);
      for (const host of previous.hosts) if (this.tenantIdsByHost.get(host) === tenantId) this.tenantIdsByHost.delete(host);
      for (const domain of previous.emailDomains) {
        if (this.tenantIdsByEmailDomain.get(domain) === tenantId) this.tenantIdsByEmailDomain.delete(domain);
      }
    }
    const added = this.contributions.get(tenantId);
    if (!added) return;
    // Only entries this tenant still owns: another tenant may have taken an issuer over since (a silo pool from an external provider).
    for (const issuer of added.issuers) {
      const entry = this.issuers.get(issuer);
      if (entry && issuerOwner(entry) === tenantId) this.issuers.delete(issuer);
    }
    for (const [issuer, clientId] of added.clients) {
      const shared = this.issuers.get(issuer);
      if (shared?.kind === 'cognito' && shared.clients.get(clientId) === tenantId) shared.clients.delete(clientId);
    }
    this.contributions.delete(tenantId);
  }
}
