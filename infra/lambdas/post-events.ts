/**
 * Cognito post-confirmation and post-authentication trigger: tells Gatehouse
 * about confirmations and sign-ins that happen at Cognito directly (hosted UI,
 * an app calling InitiateAuth with a public client), which never pass through
 * Gatehouse's API — so `user.confirmed` and `user.signed_in` are complete
 * whichever way users sign in.
 *
 * It POSTs a small report to Gatehouse's internal route
 * (`POST /internal/cognito-events`), signed per Standard Webhooks with the
 * deployment's events secret (`GATEHOUSE_EVENTS_SECRET`, set by Pulumi as an
 * encrypted Lambda environment variable; the API has the same secret as
 * `COGNITO_EVENTS_SECRET`).
 * Gatehouse maps the report to the same events its own flows emit, skips
 * reports of its own clients' sign-ins (it emitted those already), and
 * deduplicates on `dedupeKey` (Cognito retries a trigger that times out).
 *
 * Fail-open on purpose: a post trigger that throws makes Cognito fail the
 * user's sign-in, and Gatehouse being unreachable must not lock users out.
 * A report that cannot be delivered is logged (CloudWatch) and dropped.
 *
 * Self-contained like the other triggers (the deployment transpiles this one
 * file): signing uses node:crypto only, and the spec checks it against
 * Gatehouse's own verifier (apps/api/src/events/standard-webhooks.ts).
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface PostTriggerEvent {
  readonly triggerSource: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly userName?: string;
  readonly callerContext?: { readonly clientId?: string };
  readonly request?: { readonly userAttributes?: Readonly<Record<string, string>> };
  response?: Record<string, unknown>;
}

export interface CognitoEventReport {
  readonly kind: 'confirmed' | 'signed_in';
  readonly region: string;
  readonly userPoolId: string;
  readonly sub: string;
  readonly clientId: string | null;
  /** Same for Cognito's retries of one invocation (same user, kind and 10-second window). */
  readonly dedupeKey: string;
  /**
   * The Cognito username: lets Gatehouse bind an account the user-migration
   * trigger had Cognito create during a tier move (its subject is new to Gatehouse).
   */
  readonly username?: string;
}

/** Cognito retries a trigger within seconds: reports of one user and kind inside this window count once. */
export const DEDUPE_WINDOW_SECONDS = 10;

const KINDS: Readonly<Record<string, CognitoEventReport['kind']>> = {
  PostConfirmation_ConfirmSignUp: 'confirmed',
  PostAuthentication_Authentication: 'signed_in',
};

/** The report for an event, or undefined for trigger sources Gatehouse has no event for (e.g. PostConfirmation_ConfirmForgotPassword). */
export function reportFor(event: PostTriggerEvent, nowMs: number): CognitoEventReport | undefined {
  const kind = KINDS[event.triggerSource];
  const sub = event.request?.userAttributes?.['sub'];
  if (!kind || !sub) return undefined;
  const window = Math.floor(nowMs / 1000 / DEDUPE_WINDOW_SECONDS);
  return {
    kind,
    region: event.region,
    userPoolId: event.userPoolId,
    sub,
    clientId: event.callerContext?.clientId ?? null,
    dedupeKey: `cognito:${event.userPoolId}:${sub}:${kind}:${window}`,
    ...(event.userName ? { username: event.userName } : {}),
  };
}

/** Standard Webhooks headers for `body` (the same scheme as Gatehouse's webhooks). */
export function signedHeaders(secret: string, body: string, nowMs: number, id: string = randomUUID()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}`, 'content-type': 'application/json' };
}

export type PostReport = (url: string, headers: Record<string, string>, body: string) => Promise<number>;

export interface PostEventsSettings {
  /** `https://<api host>/internal/cognito-events` */
  readonly url: string;
  readonly secret: string;
  readonly post: PostReport;
  readonly log: (message: string) => void;
}

/** Sends the report (if any) and always returns the event unchanged: Cognito carries on whatever happened. */
export async function forwardEvent(event: PostTriggerEvent, settings: PostEventsSettings, nowMs: number = Date.now()): Promise<PostTriggerEvent> {
  const report = reportFor(event, nowMs);
  if (!report) return event;
  try {
    const body = JSON.stringify(report);
    const status = await settings.post(settings.url, signedHeaders(settings.secret, body, nowMs), body);
    if (status < 200 || status >= 300) settings.log(`gatehouse answered ${status} to a ${report.kind} report; dropped`);
  } catch (error) {
    settings.log(`could not report ${report.kind} to gatehouse: ${error instanceof Error ? error.message : String(error)}`);
  }
  return event;
}

/** Under Cognito's 5-second trigger budget, with room for the secret lookup. */
const POST_TIMEOUT_MS = 2000;

async function postWithTimeout(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
  return response.status;
}

export async function handler(event: PostTriggerEvent): Promise<PostTriggerEvent> {
  return forwardEvent(event, {
    url: process.env['GATEHOUSE_EVENTS_URL'] ?? '',
    secret: process.env['GATEHOUSE_EVENTS_SECRET'] ?? '',
    post: postWithTimeout,
    log: (message) => console.warn(message),
  });
}
