/**
 * Cognito pre-token-generation trigger (event version V2_0), wired to every
 * Gatehouse pool. It puts the tenant into ACCESS tokens, so any consumer of
 * Cognito tokens (an API Gateway authoriser, a service behind an ALB) can
 * authorise on them without calling Gatehouse:
 *
 *   custom:tenantId    the user's `custom:tenantId` attribute
 *   custom:tenantTier  the user's `custom:tenantTier` attribute
 *   custom:role        the strongest Gatehouse role among the user's groups
 *
 * Only facts a user cannot choose decide them: the two tenant attributes are
 * immutable and writable by the Gatehouse client alone (set at sign-up or
 * invitation), and groups are set by administrators. Any claim of these names
 * Cognito would otherwise carry is overridden or suppressed. A user with no
 * tenant (the operators' pool) gets no tenant claims; an attribute that is
 * not a plausible id is ignored rather than copied.
 *
 * Self-contained on purpose (no imports): the deployment transpiles this file
 * alone.
 */
export interface PreTokenGenerationV2Event {
  readonly version?: string;
  readonly triggerSource: string;
  readonly userPoolId?: string;
  readonly request: {
    readonly userAttributes?: Readonly<Record<string, string>>;
    readonly groupConfiguration?: { readonly groupsToOverride?: readonly string[] };
  };
  response: { claimsAndScopeOverrideDetails?: ClaimsAndScopeOverrideDetails | null };
}

export interface TokenOverrides {
  claimsToAddOrOverride?: Record<string, string>;
  claimsToSuppress?: string[];
}

export interface ClaimsAndScopeOverrideDetails {
  idTokenGeneration?: TokenOverrides;
  accessTokenGeneration?: TokenOverrides;
}

export const TENANT_ID_CLAIM = 'custom:tenantId';
export const TENANT_TIER_CLAIM = 'custom:tenantTier';
export const ROLE_CLAIM = 'custom:role';

/** Strongest first. Tenant roles and the operators' role; any other group is not a Gatehouse role. */
const ROLES_BY_STRENGTH = ['platform-admin', 'admin', 'member', 'viewer'] as const;

const PLAUSIBLE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function plausible(value: string | undefined): string | undefined {
  return typeof value === 'string' && PLAUSIBLE_ID.test(value) ? value : undefined;
}

export function strongestRole(groups: readonly string[] | undefined): string | undefined {
  const held = new Set(groups ?? []);
  return ROLES_BY_STRENGTH.find((role) => held.has(role));
}

/** The claims this trigger decides for a user; absent ones are suppressed. */
export function tenantClaims(event: PreTokenGenerationV2Event): { add: Record<string, string>; suppress: string[] } {
  const attributes = event.request.userAttributes ?? {};
  const decided: Record<string, string | undefined> = {
    [TENANT_ID_CLAIM]: plausible(attributes[TENANT_ID_CLAIM]),
    [TENANT_TIER_CLAIM]: plausible(attributes[TENANT_TIER_CLAIM]),
    [ROLE_CLAIM]: strongestRole(event.request.groupConfiguration?.groupsToOverride),
  };
  // A tier without a tenant means nothing: both or neither.
  if (decided[TENANT_ID_CLAIM] === undefined) decided[TENANT_TIER_CLAIM] = undefined;
  const add: Record<string, string> = {};
  const suppress: string[] = [];
  for (const [claim, value] of Object.entries(decided)) {
    if (value === undefined) suppress.push(claim);
    else add[claim] = value;
  }
  return { add, suppress };
}

export async function handler(event: PreTokenGenerationV2Event): Promise<PreTokenGenerationV2Event> {
  const { add, suppress } = tenantClaims(event);
  const previous = event.response.claimsAndScopeOverrideDetails ?? {};
  event.response.claimsAndScopeOverrideDetails = {
    ...previous,
    accessTokenGeneration: { claimsToAddOrOverride: add, claimsToSuppress: suppress },
    // The ID token carries the attributes already; the role is the only fact it lacks.
    idTokenGeneration: add[ROLE_CLAIM] === undefined ? { claimsToSuppress: [ROLE_CLAIM] } : { claimsToAddOrOverride: { [ROLE_CLAIM]: add[ROLE_CLAIM] } },
  };
  return event;
}
