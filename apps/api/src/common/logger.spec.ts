import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, next) {
      lines.push(chunk.toString('utf8'));
      next();
    },
  });
  return { sut: createLogger('info', sink), lines };
}

describe(createLogger.name, () => {
  it('redacts credentials, codes and tokens wherever a request body or header is logged', () => {
    const { sut, lines } = capture();
    sut.info(
      {
        req: { headers: { authorization: 'Bearer eyJ.secret', cookie: 'sid=secret' } },
        body: { email: 'kept@example.com', password: 'Secret-1', newPassword: 'Secret-2', code: '123456', session: 'sess-secret', refreshToken: 'rt-secret' },
        tokens: { accessToken: 'at-secret', idToken: 'id-secret' },
      },
      'something happened',
    );
    const line = lines.join('');
    for (const secret of ['eyJ.secret', 'sid=secret', 'Secret-1', 'Secret-2', '123456', 'sess-secret', 'rt-secret', 'at-secret', 'id-secret']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
  });
});
