/**
 * Cognito user-migration trigger of every Gatehouse pool: lets a tier move's
 * deferred users — users with a password of their own, not on the target pool
 * yet (Cognito cannot export passwords) — sign in or reset their password
 * directly at the target's public client, with the password they already have.
 *
 * Cognito calls it only for a user who does not exist in the pool, at a
 * sign-in that sends the password (USER_PASSWORD_AUTH; never SRP, where
 * Cognito never sees it) and at ForgotPassword. It asks Gatehouse
 * (`POST /internal/cognito-user-migration`, signed per Standard Webhooks with
 * the deployment's events secret like post-events.ts, whose signing it uses),
 * which checks that the user is a deferred user of a move to this pool,
 * proves the password at the source, and answers the user's attributes.
 * Cognito then creates the user:
 *
 * - `UserMigration_Authentication`: CONFIRMED, with the password just typed,
 *   message suppressed;
 * - `UserMigration_ForgotPassword`: message suppressed; Cognito sends the
 *   reset code and the user chooses a password at the target.
 *
 * Fails closed: anything but Gatehouse's answer (unknown user, wrong password,
 * no move, a refusal, Gatehouse unreachable or slow) throws, and Cognito
 * refuses the sign-in as for an unknown user. Groups and the new subject
 * cannot go through a trigger: Gatehouse binds the account when it first
 * sees it (post-authentication report, or the account's first token).
 *
 * It calls no AWS API. The deployment ships post-events.ts beside it (its
 * signing is imported, not copied).
 */
import { signedHeaders } from './post-events.js';

export interface UserMigrationEvent {
  readonly triggerSource: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly userName: string;
  readonly callerContext?: { readonly clientId?: string | null };
  readonly request?: { readonly password?: string };
  response?: Record<string, unknown>;
}

/** What the Lambda asks Gatehouse (apps/api/src/identity/user-migration.service.ts). */
export interface UserMigrationRequest {
  readonly kind: 'authentication' | 'forgot_password';
  readonly userPoolId: string;
  readonly clientId: string;
  readonly username: string;
  readonly password?: string;
}

const KINDS: Readonly<Record<string, UserMigrationRequest['kind']>> = {
  UserMigration_Authentication: 'authentication',
  UserMigration_ForgotPassword: 'forgot_password',
};

export class UserNotMigratedError extends Error {
  override readonly name = 'UserNotMigratedError';
}

/** The request for an event; throws for anything that is not a migration Gatehouse can answer. */
export function migrationRequestFor(event: UserMigrationEvent): UserMigrationRequest {
  const kind = KINDS[event.triggerSource];
  const clientId = event.callerContext?.clientId;
  if (!kind) throw new UserNotMigratedError(`not a user-migration event: ${event.triggerSource}`);
  if (!clientId || !event.userName) throw new UserNotMigratedError('no app client or username in the event');
  const password = event.request?.password;
  if (kind === 'authentication' && !password) throw new UserNotMigratedError('no password in a sign-in migration');
  return { kind, userPoolId: event.userPoolId, clientId, username: event.userName, ...(kind === 'authentication' ? { password } : {}) };
}

export type PostJson = (url: string, headers: Record<string, string>, body: string) => Promise<{ status: number; body: string }>;

export interface UserMigrationSettings {
  /** `https://<api host>/internal/cognito-user-migration` */
  readonly url: string;
  readonly secret: string;
  readonly post: PostJson;
  readonly log: (message: string) => void;
}

function attributesOf(body: string): Record<string, string> {
  const parsed = JSON.parse(body) as { userAttributes?: unknown };
  const attributes = parsed.userAttributes;
  if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes)) throw new UserNotMigratedError('Gatehouse answered no attributes');
  const entries = Object.entries(attributes as Record<string, unknown>);
  if (entries.length === 0 || entries.some(([, value]) => typeof value !== 'string')) throw new UserNotMigratedError('Gatehouse answered malformed attributes');
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * Asks Gatehouse and fills the event's response, or throws (Cognito then
 * refuses the sign-in). The password never appears in a log line.
 */
export async function migrateUser(event: UserMigrationEvent, settings: UserMigrationSettings, nowMs: number = Date.now()): Promise<UserMigrationEvent> {
  const request = migrationRequestFor(event);
  const body = JSON.stringify(request);
  let answer: { status: number; body: string };
  try {
    answer = await settings.post(settings.url, signedHeaders(settings.secret, body, nowMs), body);
  } catch (error) {
    settings.log(`could not ask gatehouse about a ${request.kind} migration: ${error instanceof Error ? error.message : String(error)}`);
    throw new UserNotMigratedError('Gatehouse could not be asked');
  }
  if (answer.status !== 200) {
    settings.log(`gatehouse refused a ${request.kind} migration (${answer.status})`);
    throw new UserNotMigratedError('user not migrated');
  }
  const userAttributes = attributesOf(answer.body);
  event.response = {
    ...event.response,
    userAttributes,
    // Sign-in: the password just proven becomes the user's own. Reset: Cognito sends the code and the user chooses one.
    ...(request.kind === 'authentication' ? { finalUserStatus: 'CONFIRMED' } : {}),
    messageAction: 'SUPPRESS',
  };
  return event;
}

/** Under Cognito's 5-second trigger budget: Gatehouse signs in at the source pool to check the password. */
const POST_TIMEOUT_MS = 4000;

async function postJson(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
  return { status: response.status, body: await response.text() };
}

export async function handler(event: UserMigrationEvent): Promise<UserMigrationEvent> {
  return migrateUser(event, {
    url: process.env['GATEHOUSE_USER_MIGRATION_URL'] ?? '',
    secret: process.env['GATEHOUSE_EVENTS_SECRET'] ?? '',
    post: postJson,
    log: (message) => console.warn(message),
  });
}
