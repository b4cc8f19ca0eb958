import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundUrlRefused } from '../auth/outbound-url.js';
import { WebhookSender } from './webhook-sender.js';

describe(WebhookSender.name, () => {
  describe('in AWS mode (no private destinations)', () => {
    const resolved = new Map<string, string[]>([
      ['hooks.example.com', ['93.184.216.34']],
      ['rebind.example.com', ['10.0.0.7']],
      ['mixed.example.com', ['93.184.216.34', '169.254.169.254']],
    ]);
    const sut = new WebhookSender({ allowPrivateAddresses: false, timeoutMs: 1000, resolve: async (host) => resolved.get(host) ?? [] });

    it.each([
      ['http://hooks.example.com/x', 'https'],
      ['https://user:secret@hooks.example.com/x', 'credentials'],
      ['https://127.0.0.1/x', 'loopback'],
      ['https://169.254.169.254/latest/meta-data', 'link-local'],
      ['https://[fd00:ec2::254]/', 'link-local'],
      ['https://2130706433/', 'loopback'],
      ['https://localhost/x', 'public host'],
      ['https://metadata.google.internal/', 'public host'],
      ['https://rebind.example.com/x', 'resolve'],
      ['https://mixed.example.com/x', 'resolve'],
    ])('refuses %s at subscription (%s)', async (url, reason) => {
      await expect(sut.assertAllowed(url)).rejects.toThrow(OutboundUrlRefused);
      await expect(sut.assertAllowed(url)).rejects.toThrow(new RegExp(reason === 'resolve' ? 'resolve' : '.'));
    });

    it('accepts a public https destination', async () => {
      await expect(sut.assertAllowed('https://hooks.example.com/gatehouse')).resolves.toBeUndefined();
    });

    it('checks the name again at every attempt: a name that now resolves privately is not contacted (DNS rebinding)', async () => {
      resolved.set('flip.example.com', ['93.184.216.34']);
      await sut.assertAllowed('https://flip.example.com/x');
      resolved.set('flip.example.com', ['127.0.0.1']);
      const outcome = await sut.send('https://flip.example.com/x', {}, '{}');
      expect(outcome).toEqual({ ok: false, status: null, error: expect.stringMatching(/^destination refused: must not resolve to a loopback/) });
    });
  });

  describe('sending (local mode, a loopback receiver)', () => {
    let statusToAnswer = 204;
    let hang = false;
    const server = createServer((request, response) => {
      if (hang) return; // never answers
      request.resume();
      request.on('end', () => {
        response.statusCode = statusToAnswer;
        if (statusToAnswer === 302) response.setHeader('location', 'http://127.0.0.1:1/elsewhere');
        response.end();
      });
    });
    let base = '';

    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const sut = new WebhookSender({ allowPrivateAddresses: true, timeoutMs: 300 });

    it('counts 2xx as success and anything else, redirects included, as a failed attempt', async () => {
      statusToAnswer = 204;
      expect(await sut.send(`${base}/x`, { 'webhook-id': 'a' }, '{}')).toEqual({ ok: true, status: 204 });
      statusToAnswer = 302;
      expect(await sut.send(`${base}/x`, {}, '{}')).toEqual({ ok: false, status: 302, error: 'answered 302' });
      statusToAnswer = 500;
      expect(await sut.send(`${base}/x`, {}, '{}')).toMatchObject({ ok: false, status: 500 });
    });

    it('gives up on a receiver that never answers after the timeout', async () => {
      hang = true;
      expect(await sut.send(`${base}/x`, {}, '{}')).toEqual({ ok: false, status: null, error: 'timed out' });
      hang = false;
    });

    it('reports a refused connection as a failed attempt, not an exception', async () => {
      expect(await sut.send('http://127.0.0.1:1/x', {}, '{}')).toMatchObject({ ok: false, status: null, error: 'ECONNREFUSED' });
    });
  });
});
