import { describe, expect, it } from 'vitest';
import { findUnsafeText, isUnsafeText, isWellEncodedQuery } from './unsafe-text.js';

describe(isUnsafeText.name, () => {
  it('refuses NUL and unpaired surrogates, accepts paired ones and ordinary text', () => {
    expect(isUnsafeText('a\u0000b')).toBe(true);
    expect(isUnsafeText('a\uD800b')).toBe(true);
    expect(isUnsafeText('a\uDC00')).toBe(true);
    expect(isUnsafeText('\uDC00\uD800')).toBe(true);
    expect(isUnsafeText('😀 Zoë 中文')).toBe(false);
    expect(isUnsafeText('\uFFFD')).toBe(false);
  });
});

describe(findUnsafeText.name, () => {
  it('names the first unsafe value or key by its path', () => {
    expect(findUnsafeText({ name: 'ok', tags: ['x', 'y\u0000'] })).toBe('tags.1');
    expect(findUnsafeText({ ['k\uD800']: 1 })).toBe('k\uD800');
    expect(findUnsafeText({ nested: { deep: '\uDFFF' } })).toBe('nested.deep');
    expect(findUnsafeText('\u0000')).toBe('');
    expect(findUnsafeText({ name: 'fine', count: 3, on: true, none: null })).toBeUndefined();
  });

  it('treats absurdly deep values as unsafe instead of recursing without end', () => {
    let value: unknown = 'x';
    for (let depth = 0; depth < 100; depth += 1) value = { value };
    expect(findUnsafeText(value)).toBeDefined();
  });
});

describe(isWellEncodedQuery.name, () => {
  it('accepts well-formed UTF-8 escapes and refuses broken ones', () => {
    expect(isWellEncodedQuery('q=caf%C3%A9&x=a+b')).toBe(true);
    expect(isWellEncodedQuery('q=%E0%A4%A')).toBe(false);
    expect(isWellEncodedQuery('q=%')).toBe(false);
    expect(isWellEncodedQuery('q=%ED%A0%80')).toBe(false); // an encoded lone surrogate
    expect(isWellEncodedQuery('q=%FF')).toBe(false);
  });
});
