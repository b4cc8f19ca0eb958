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
 *   attribute), or that lacks the tenant attributes;
 * - `PreSignUp_ExternalProvider` (federated first sign-ins through Cognito's
 *   hosted UI): Gatehouse creates those users itself, so none may appear here;
 * - any trigger source it does not know.
 * `PreSignUp_AdminCreateUser` needs the API's IAM role and passes.
 *
 * The decision is a plain function of the event and a client lookup; the
 * Lambda entry point (`handler`) supplies the lookup with
 * DescribeUserPoolClient (only the client's name and write attributes are
 * kept; the secret it returns is dropped at once). Self-contained on purpose:
 * the deployment transpiles this one file; its only import is the AWS SDK that
 * the Lambda Node.js runtime provides.
 */
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
}

export type DescribeAppClient = (userPoolId: string, clientId: string) => Promise<AppClientFacts | undefined>;

export interface PreSignUpSettings {
  /** The contract's Gatehouse client name suffix (`GATEHOUSE_CLIENT_NAME_SUFFIX`). */
  readonly gatehouseClientSuffix: string;
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

/**
 * Returns the event unchanged (never auto-confirms or auto-verifies) when the
 * sign-up may proceed; throws {@link SignUpRefusedError} otherwise.
 */
export async function decidePreSignUp(event: PreSignUpEvent, describe: DescribeAppClient, settings: PreSignUpSettings): Promise<PreSignUpEvent> {
  if (event.triggerSource === 'PreSignUp_AdminCreateUser') return event;
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
  return event;
}

// ---- the Lambda entry point --------------------------------------------------

const cognito = new CognitoIdentityProviderClient({});
/** Client facts per warm container; a client's name and write attributes do not change under Gatehouse. */
const known = new Map<string, AppClientFacts | undefined>();
const MAX_CACHED = 1_000;

async function describeWithSdk(userPoolId: string, clientId: string): Promise<AppClientFacts | undefined> {
  const key = `${userPoolId}/${clientId}`;
  if (known.has(key)) return known.get(key);
  let facts: AppClientFacts | undefined;
  try {
    const { UserPoolClient: client } = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
    facts = client ? { name: client.ClientName ?? '', writeAttributes: client.WriteAttributes ?? [] } : undefined;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error; // fail closed: Cognito refuses the sign-up
    facts = undefined;
  }
  if (known.size >= MAX_CACHED) known.clear();
  known.set(key, facts);
  return facts;
}

export async function handler(event: PreSignUpEvent): Promise<PreSignUpEvent> {
  try {
    return await decidePreSignUp(event, describeWithSdk, { gatehouseClientSuffix: process.env['GATEHOUSE_CLIENT_NAME_SUFFIX'] ?? '' });
  } catch (error) {
    if (error instanceof SignUpRefusedError) {
      console.warn(JSON.stringify({ refused: error.reason, userPoolId: event.userPoolId, clientId: event.callerContext?.clientId }));
    }
    throw error;
  }
}
