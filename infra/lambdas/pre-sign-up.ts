/**
 * Cognito pre sign-up trigger, wired to every Gatehouse pool (tier pools by
 * Pulumi, silo pools by the API, both from the pool contract in libs/tiers).
 *
 * Gatehouse signs users up through the pool's confidential Gatehouse client,
 * with `custom:tenantId` / `custom:tenantTier` in the sign-up's attributes;
 * public clients cannot write those attributes. A `SignUp` call made at
 * Cognito directly (anyone holding a public client id can make one) would
 * otherwise create a user Gatehouse never heard of. This trigger refuses,
 * before any user exists:
 *
 * - `PreSignUp_SignUp` whose calling client is not a Gatehouse client of this
 *   pool (name ends with the contract's suffix AND it may write the tenant
 *   attribute), that lacks the tenant attributes, or whose username is not the
 *   one derived from that tenant and e-mail (libs/tiers sign-in-username.ts:
 *   what clients type to sign in at Cognito directly);
 * - `PreSignUp_ExternalProvider` (a federated first sign-in through Cognito's
 *   hosted UI) unless it comes through a tenant's own public client (bridge
 *   app client or silo pool client, named `<deployment>-tenant-<slug>`) that
 *   lists the provider in its SupportedIdentityProviders. A tier's shared
 *   client (pool model) never: a shared pool cannot tell whose social sign-in
 *   it is. Such users carry no tenant attribute (attribute mappings may not
 *   target `custom:tenant*`); Gatehouse knows their tenant from the client
 *   (bridge) or the pool (silo) of their verified token;
 * - any trigger source it does not know.
 * `PreSignUp_AdminCreateUser` needs the API's IAM role and passes.
 *
 * The decision is a plain function of the event and a client lookup; the
 * Lambda entry point (`handler`) supplies the lookup with
 * DescribeUserPoolClient (only the client's name, write attributes and
 * identity providers are kept; the secret it returns is dropped at once).
 * Self-contained on purpose: the deployment transpiles this one file; its only
 * imports are the AWS SDK and node:crypto, which the Lambda Node.js runtime
 * provides.
 */
import { createHash } from 'node:crypto';
import { CognitoIdentityProviderClient, DescribeUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';

export interface PreSignUpEvent {
  readonly triggerSource: string;
  readonly userPoolId: string;
  readonly userName?: string;
  readonly callerContext?: { readonly clientId?: string };
  readonly request?: { readonly userAttributes?: Readonly<Record<string, string>> };
  response?: Record<string, unknown>;
}

/** What the trigger needs to know about the calling client. */
export interface AppClientFacts {
  readonly name: string;
  readonly writeAttributes: readonly string[];
  /** The client's SupportedIdentityProviders (`COGNITO` and federated providers' names). */
  readonly identityProviders?: readonly string[];
}

export type DescribeAppClient = (userPoolId: string, clientId: string) => Promise<AppClientFacts | undefined>;

export interface PreSignUpSettings {
  /** The contract's Gatehouse client name suffix (`GATEHOUSE_CLIENT_NAME_SUFFIX`). */
  readonly gatehouseClientSuffix: string;
  /** Names of tenants' own clients start with this (`tenantClientNamePrefix(deployment)`); empty: no federation. */
  readonly tenantClientPrefix?: string;
}

export const TENANT_ID_ATTRIBUTE = 'custom:tenantId';
export const TENANT_TIER_ATTRIBUTE = 'custom:tenantTier';

/** The message Cognito returns to the caller (as UserLambdaValidationException); it reveals nothing else. */
export const REFUSAL_MESSAGE = 'Sign-up is only possible through Gatehouse.';

export class SignUpRefusedError extends Error {
  override readonly name = 'SignUpRefusedError';
  constructor(readonly reason: string) {
    super(REFUSAL_MESSAGE);
  }
}

function present(value: string | undefined): boolean {
  return typeof value === 'string' && value.trim().length > 0;
}

/** Copy of libs/tiers `deriveSignInUsername` (this file must stay self-contained); a spec keeps them equal. */
export function derivedSignInUsername(tenantId: string, email: string): string {
  const digest = createHash('sha256').update(`${tenantId.toLowerCase()}:${email.trim().toLowerCase()}`, 'utf8').digest('hex');
  return `gh1-${digest}`;
}

/** Cognito names a federated user `<provider>_<subject>`; Gatehouse's provider names never contain `_`. */
function providerOf(userName: string | undefined): string | undefined {
  const index = userName?.indexOf('_') ?? -1;
  return index > 0 ? userName!.slice(0, index) : undefined;
}

async function decideExternalProvider(event: PreSignUpEvent, describe: DescribeAppClient, settings: PreSignUpSettings): Promise<PreSignUpEvent> {
  const prefix = settings.tenantClientPrefix ?? '';
  if (!prefix) throw new SignUpRefusedError('federation is not configured');
  const attributes = event.request?.userAttributes ?? {};
  // Mappings may not set the tenant; a provider that somehow did is not trusted with it.
  if (Object.keys(attributes).some((name) => name.toLowerCase().startsWith('custom:tenant') || name.toLowerCase() === 'custom:role')) {
    throw new SignUpRefusedError('a federated user may not bring tenant attributes');
  }
  const provider = providerOf(event.userName);
  if (!provider || provider.toUpperCase() === 'COGNITO') throw new SignUpRefusedError('no federated provider named');
  const clientId = event.callerContext?.clientId;
  if (!present(clientId)) throw new SignUpRefusedError('no calling client');
  const client = await describe(event.userPoolId, clientId!);
  if (!client) throw new SignUpRefusedError('the calling client is not a client of this pool');
  const tenantPublicClient = client.name.startsWith(prefix) && client.name.length > prefix.length && !client.name.endsWith(settings.gatehouseClientSuffix);
  if (!tenantPublicClient) throw new SignUpRefusedError('federated sign-in only through a tenant’s own client');
  if (!(client.identityProviders ?? []).includes(provider)) throw new SignUpRefusedError('the provider is not enabled on the calling client');
  return event;
}

/**
 * Returns the event unchanged (never auto-confirms or auto-verifies) when the
 * sign-up may proceed; throws {@link SignUpRefusedError} otherwise.
 */
export async function decidePreSignUp(event: PreSignUpEvent, describe: DescribeAppClient, settings: PreSignUpSettings): Promise<PreSignUpEvent> {
  if (event.triggerSource === 'PreSignUp_AdminCreateUser') return event;
  if (event.triggerSource === 'PreSignUp_ExternalProvider') return decideExternalProvider(event, describe, settings);
  if (event.triggerSource !== 'PreSignUp_SignUp') throw new SignUpRefusedError(`trigger source ${event.triggerSource} is not allowed`);
  if (!settings.gatehouseClientSuffix) throw new SignUpRefusedError('the trigger is not configured');

  const attributes = event.request?.userAttributes ?? {};
  if (!present(attributes[TENANT_ID_ATTRIBUTE]) || !present(attributes[TENANT_TIER_ATTRIBUTE])) {
    throw new SignUpRefusedError('the sign-up carries no tenant');
  }
  const clientId = event.callerContext?.clientId;
  if (!present(clientId)) throw new SignUpRefusedError('no calling client');
  const client = await describe(event.userPoolId, clientId!);
  if (!client) throw new SignUpRefusedError('the calling client is not a client of this pool');
  const isGatehouseClient = client.name.endsWith(settings.gatehouseClientSuffix) && client.writeAttributes.includes(TENANT_ID_ATTRIBUTE);
  if (!isGatehouseClient) throw new SignUpRefusedError('the calling client is not a Gatehouse client');
  const email = attributes['email'];
  if (!present(email) || event.userName !== derivedSignInUsername(attributes[TENANT_ID_ATTRIBUTE]!, email!)) {
    throw new SignUpRefusedError('the username is not the one derived from the tenant and e-mail');
  }
  return event;
}

// ---- the Lambda entry point --------------------------------------------------

const cognito = new CognitoIdentityProviderClient({});
/**
 * Client facts per warm container, for a short while only: a client's name and write attributes never
 * change under Gatehouse, but its identity providers do (a removed provider must stop admitting users).
 */
const known = new Map<string, { facts: AppClientFacts | undefined; until: number }>();
const MAX_CACHED = 1_000;
const CACHE_MS = 30_000;

async function describeWithSdk(userPoolId: string, clientId: string): Promise<AppClientFacts | undefined> {
  const key = `${userPoolId}/${clientId}`;
  const cached = known.get(key);
  if (cached && cached.until > Date.now()) return cached.facts;
  let facts: AppClientFacts | undefined;
  try {
    const { UserPoolClient: client } = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
    facts = client
      ? { name: client.ClientName ?? '', writeAttributes: client.WriteAttributes ?? [], identityProviders: client.SupportedIdentityProviders ?? [] }
      : undefined;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error; // fail closed: Cognito refuses the sign-up
    facts = undefined;
  }
  if (known.size >= MAX_CACHED) known.clear();
  known.set(key, { facts, until: Date.now() + CACHE_MS });
  return facts;
}

export async function handler(event: PreSignUpEvent): Promise<PreSignUpEvent> {
  try {
    return await decidePreSignUp(event, describeWithSdk, {
      gatehouseClientSuffix: process.env['GATEHOUSE_CLIENT_NAME_SUFFIX'] ?? '',
      tenantClientPrefix: process.env['GATEHOUSE_TENANT_CLIENT_PREFIX'] ?? '',
    });
  } catch (error) {
    if (error instanceof SignUpRefusedError) {
      console.warn(JSON.stringify({ refused: error.reason, userPoolId: event.userPoolId, clientId: event.callerContext?.clientId }));
    }
    throw error;
  }
}
