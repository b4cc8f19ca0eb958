import { describe, expect, it } from 'vitest';
import { verifyMessage } from '../../apps/api/src/events/standard-webhooks.js';
import { type PostTriggerEvent, forwardEvent, reportFor, signedHeaders } from './post-events.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 3);

function event(triggerSource: string, attributes: Record<string, string> = { sub: 'sub-1', 'custom:tenantId': 't' }): PostTriggerEvent {
  return { triggerSource, region: 'eu-west-1', userPoolId: 'eu-west-1_pool', userName: 'u', callerContext: { clientId: 'client-1' }, request: { userAttributes: attributes }, response: {} };
}

describe('post-events trigger', () => {
  it('reports confirmations and sign-ins with the user’s pool, subject and calling client', () => {
    expect(reportFor(event('PostConfirmation_ConfirmSignUp'), NOW)).toEqual({
      kind: 'confirmed',
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_pool',
      sub: 'sub-1',
      clientId: 'client-1',
      dedupeKey: `cognito:eu-west-1_pool:sub-1:confirmed:${Math.floor(NOW / 10_000)}`,
      username: 'u',
    });
    expect(reportFor(event('PostAuthentication_Authentication'), NOW)?.kind).toBe('signed_in');
  });

  it('reports nothing for other trigger sources or a user without a subject', () => {
    expect(reportFor(event('PostConfirmation_ConfirmForgotPassword'), NOW)).toBeUndefined();
    expect(reportFor(event('PostAuthentication_Authentication', {}), NOW)).toBeUndefined();
  });

  it('gives Cognito’s retries of one sign-in the same dedupe key, and a later sign-in another', () => {
    const first = reportFor(event('PostAuthentication_Authentication'), NOW)!.dedupeKey;
    expect(reportFor(event('PostAuthentication_Authentication'), NOW + 4000)!.dedupeKey).toBe(first);
    expect(reportFor(event('PostAuthentication_Authentication'), NOW + 60_000)!.dedupeKey).not.toBe(first);
  });

  it('signs the report so that Gatehouse’s Standard Webhooks verifier accepts it, and only with that secret', () => {
    const body = JSON.stringify(reportFor(event('PostAuthentication_Authentication'), NOW));
    const headers = signedHeaders(SECRET, body, NOW, 'msg-1');
    expect(verifyMessage(SECRET, headers, body, Math.floor(NOW / 1000))).toEqual({ ok: true });
    expect(verifyMessage(`whsec_${Buffer.alloc(32, 8).toString('base64')}`, headers, body, Math.floor(NOW / 1000)).ok).toBe(false);
    expect(verifyMessage(SECRET, headers, body.replace('sub-1', 'sub-2'), Math.floor(NOW / 1000)).ok).toBe(false);
  });

  it('POSTs the signed report and hands the event back unchanged', async () => {
    const posted: { url: string; headers: Record<string, string>; body: string }[] = [];
    const input = event('PostAuthentication_Authentication');
    const result = await forwardEvent(input, { url: 'https://api.example/internal/cognito-events', secret: SECRET, post: async (url, headers, body) => (posted.push({ url, headers, body }), 202), log: () => undefined }, NOW);
    expect(result).toBe(input);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.url).toBe('https://api.example/internal/cognito-events');
    expect(JSON.parse(posted[0]!.body)).toMatchObject({ kind: 'signed_in', sub: 'sub-1' });
    expect(verifyMessage(SECRET, posted[0]!.headers, posted[0]!.body, Math.floor(NOW / 1000))).toEqual({ ok: true });
  });

  it('fails open: Gatehouse down or refusing is logged, and the user’s sign-in goes on', async () => {
    const logged: string[] = [];
    const input = event('PostAuthentication_Authentication');
    const down = await forwardEvent(input, { url: 'https://x', secret: SECRET, post: () => Promise.reject(new Error('ECONNREFUSED')), log: (line) => logged.push(line) }, NOW);
    const refused = await forwardEvent(input, { url: 'https://x', secret: SECRET, post: async () => 401, log: (line) => logged.push(line) }, NOW);
    expect(down).toBe(input);
    expect(refused).toBe(input);
    expect(logged).toEqual([expect.stringContaining('ECONNREFUSED'), expect.stringContaining('401')]);
  });
});
