import { describe, expect, it } from 'vitest';
import { AttemptLimiter } from './attempt-limiter.js';

describe(AttemptLimiter.name, () => {
  function limiter(limit = 3, windowMs = 1000) {
    let now = 0;
    const sut = new AttemptLimiter({ limit, windowMs, maxKeys: 2, now: () => now });
    return { sut, advance: (ms: number) => (now += ms) };
  }

  it('allows up to the limit in the window, then refuses with the seconds until the oldest attempt ages out', () => {
    const { sut, advance } = limiter();
    for (let i = 0; i < 3; i += 1) {
      sut.assertAllowed('k');
      sut.record('k');
      advance(100);
    }
    expect(() => sut.assertAllowed('k')).toThrow(expect.objectContaining({ status: 429, headers: { 'retry-after': '1' } }));
    advance(800);
    expect(() => sut.assertAllowed('k')).not.toThrow();
  });

  it('keeps keys apart and forgets a key on reset', () => {
    const { sut } = limiter(1);
    sut.record('a');
    expect(() => sut.assertAllowed('a')).toThrow();
    expect(() => sut.assertAllowed('b')).not.toThrow();
    sut.reset('a');
    expect(() => sut.assertAllowed('a')).not.toThrow();
  });

  it('bounds the keys it tracks', () => {
    const { sut } = limiter(1);
    sut.record('a');
    sut.record('b');
    sut.record('c');
    expect(() => sut.assertAllowed('a')).not.toThrow();
    expect(() => sut.assertAllowed('c')).toThrow();
  });
});
