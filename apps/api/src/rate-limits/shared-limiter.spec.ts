import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { SharedLimiter, subjectKey } from './shared-limiter.js';

const options = { name: 'test', points: 2, durationSeconds: 60, timeoutMs: 20 };

/** A store whose every call fails, or never answers. */
function brokenStore(kind: 'fails' | 'hangs'): RateLimiterAbstract {
  const answer = () => (kind === 'fails' ? Promise.reject(new Error('connection refused')) : new Promise(() => undefined));
  return { consume: answer, get: answer, penalty: answer, delete: answer } as unknown as RateLimiterAbstract;
}

describe(SharedLimiter.name, () => {
  it('allows up to the limit in the window, then refuses with the time until the window resets', async () => {
    const sut = new SharedLimiter(new RateLimiterMemory({ points: 2, duration: 60 }), options);
    expect((await sut.consume('a')).allowed).toBe(true);
    expect((await sut.consume('a')).allowed).toBe(true);
    const refused = await sut.consume('a');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect((await sut.consume('b')).allowed).toBe(true);
  });

  it('counts recorded failures without deciding, and forgets them on reset', async () => {
    const sut = new SharedLimiter(new RateLimiterMemory({ points: 2, duration: 60 }), options);
    await sut.record('u');
    expect((await sut.check('u')).allowed).toBe(true);
    await sut.record('u');
    expect((await sut.check('u')).allowed).toBe(false);
    await sut.reset('u');
    expect((await sut.check('u')).allowed).toBe(true);
  });

  it.each(['fails', 'hangs'] as const)('when the store %s, decides in memory with the same limit and says so', async (kind) => {
    const fallbacks: string[] = [];
    const sut = new SharedLimiter(brokenStore(kind), { ...options, onFallback: (name) => fallbacks.push(name) });
    expect((await sut.consume('a')).allowed).toBe(true);
    expect((await sut.consume('a')).allowed).toBe(true);
    expect((await sut.consume('a')).allowed).toBe(false);
    await sut.record('f');
    await sut.record('f');
    expect((await sut.check('f')).allowed).toBe(false);
    expect(fallbacks.length).toBeGreaterThanOrEqual(6);
    expect(new Set(fallbacks)).toEqual(new Set(['test']));
  });

  it('keeps counting across a store that answers, then stops answering', async () => {
    let broken = false;
    const healthy = new RateLimiterMemory({ points: 2, duration: 60 });
    const flapping = {
      consume: (key: string) => (broken ? Promise.reject(new Error('down')) : healthy.consume(key)),
    } as unknown as RateLimiterAbstract;
    const sut = new SharedLimiter(flapping, options);
    expect((await sut.consume('a')).allowed).toBe(true);
    expect((await sut.consume('a')).allowed).toBe(true);
    broken = true;
    expect((await sut.consume('a')).allowed).toBe(false);
  });

  it('stores digests, never the subject itself', () => {
    const key = subjectKey('tenant\nperson@example.com');
    expect(key).not.toContain('person');
    expect(key).toMatch(/^[\w-]{32}$/);
    expect(subjectKey('tenant\nperson@example.com')).toBe(key);
  });
});
