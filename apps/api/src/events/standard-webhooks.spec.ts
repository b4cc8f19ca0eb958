import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, secretKey, signMessage, verifyMessage } from './standard-webhooks.js';

// The example from the Standard Webhooks specification's reference libraries.
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe(signMessage.name, () => {
  it('matches the specification\'s published example', () => {
    const sut = signMessage([SPEC_SECRET], SPEC_ID, SPEC_BODY, SPEC_TIMESTAMP);
    expect(sut).toEqual({ 'webhook-id': SPEC_ID, 'webhook-timestamp': String(SPEC_TIMESTAMP), 'webhook-signature': SPEC_SIGNATURE });
  });

  it('agrees with an independent HMAC of id.timestamp.body', () => {
    const secret = generateWebhookSecret();
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const independent = createHmac('sha256', key).update(`m1.42.{}`).digest('base64');
    expect(signMessage([secret], 'm1', '{}', 42)['webhook-signature']).toBe(`v1,${independent}`);
  });

  it('signs with every live secret during a rotation', () => {
    const [older, newer] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signMessage([newer, older], 'm2', 'body', 100);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyMessage(older, headers, 'body', 100)).toEqual({ ok: true });
    expect(verifyMessage(newer, headers, 'body', 100)).toEqual({ ok: true });
  });

  it('refuses to sign without a secret', () => {
    expect(() => signMessage([], 'm', 'b')).toThrow();
  });
});

describe(verifyMessage.name, () => {
  const headers = signMessage([SPEC_SECRET], SPEC_ID, SPEC_BODY, SPEC_TIMESTAMP);

  it('accepts the genuine message and refuses a changed body, id or secret', () => {
    expect(verifyMessage(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP)).toEqual({ ok: true });
    expect(verifyMessage(SPEC_SECRET, headers, SPEC_BODY + ' ', SPEC_TIMESTAMP)).toEqual({ ok: false, reason: 'no_matching_signature' });
    expect(verifyMessage(SPEC_SECRET, { ...headers, 'webhook-id': 'other' }, SPEC_BODY, SPEC_TIMESTAMP).ok).toBe(false);
    expect(verifyMessage(generateWebhookSecret(), headers, SPEC_BODY, SPEC_TIMESTAMP).ok).toBe(false);
  });

  it('refuses stale or future timestamps and missing headers', () => {
    expect(verifyMessage(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP + 301)).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyMessage(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP - 301)).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyMessage(SPEC_SECRET, { 'webhook-id': SPEC_ID }, SPEC_BODY)).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifyMessage(SPEC_SECRET, { ...headers, 'webhook-timestamp': 'soon' }, SPEC_BODY)).toEqual({ ok: false, reason: 'missing_headers' });
  });
});

describe(secretKey.name, () => {
  it('refuses secrets without the prefix, not base64, or too short', () => {
    expect(() => secretKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow();
    expect(() => secretKey('whsec_!!!')).toThrow();
    expect(() => secretKey('whsec_' + Buffer.alloc(8).toString('base64'))).toThrow();
    expect(secretKey(generateWebhookSecret())).toHaveLength(32);
  });
});
