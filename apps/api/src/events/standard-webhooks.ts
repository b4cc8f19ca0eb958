/**
 * Signing per the Standard Webhooks specification (https://www.standardwebhooks.com):
 * the one place Gatehouse signs what it sends to other systems — webhook deliveries
 * and synchronous hook calls alike — so a receiver verifies both the same way.
 *
 * - The signed content is `${webhook-id}.${webhook-timestamp}.${body}`.
 * - The signature is HMAC-SHA256 with the secret's bytes, base64, prefixed `v1,`.
 * - Secrets are `whsec_` + base64 of 24–64 random bytes. During a rotation the
 *   header carries one signature per live secret, separated by spaces, so a
 *   receiver that knows either secret accepts the message.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
/** How far a receiver lets `webhook-timestamp` stray from its clock (the spec's suggestion). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export interface WebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** A fresh signing secret: 32 random bytes, `whsec_`-prefixed base64. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The secret's key bytes; throws on anything that is not a well-formed `whsec_` secret. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('webhook secret must start with whsec_');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error('webhook secret must be base64');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new Error(`webhook secret must hold ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes`);
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256>` of one message under one secret. */
export function signatureFor(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three headers for one message. `secrets` is every live secret of the
 * destination, newest first (more than one only while a rotation overlaps).
 */
export function signMessage(
  secrets: readonly string[],
  messageId: string,
  body: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): WebhookHeaders {
  if (secrets.length === 0) throw new Error('at least one signing secret is required');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signatureFor(secret, messageId, timestampSeconds, body)).join(' '),
  };
}

export type VerificationFailure = 'missing_headers' | 'timestamp_out_of_tolerance' | 'no_matching_signature';

/**
 * A receiver's check (used by Gatehouse's own tests and by the README example's
 * logic): the timestamp is within tolerance and one `v1` signature matches,
 * compared in constant time.
 */
export function verifyMessage(
  secret: string,
  headers: Partial<Record<keyof WebhookHeaders, string | undefined>>,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): { ok: true } | { ok: false; reason: VerificationFailure } {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing_headers' };
  const sentAt = Number(timestamp);
  if (Math.abs(nowSeconds - sentAt) > toleranceSeconds) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  const expected = Buffer.from(signatureFor(secret, id, sentAt, body).slice(3), 'base64');
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no_matching_signature' };
}
