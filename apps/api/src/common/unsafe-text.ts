/**
 * Text Gatehouse refuses wherever it comes from (body, query, path, token
 * claims): NUL characters, which Postgres cannot store in text and which no
 * e-mail, name or identifier legitimately holds, and unpaired UTF-16
 * surrogates, which cannot be encoded as UTF-8 and would be stored as U+FFFD,
 * silently changing what the client sent. Refusing them at the edge turns a
 * driver error deep in a transaction (a 500) into a precise 400 / 401.
 */

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deeper than any body or claim set this API accepts; a deeper value is refused as unsafe. */
const MAX_DEPTH = 32;

export function isUnsafeText(value: string): boolean {
  return UNSAFE.test(value);
}

/**
 * The path of the first unsafe string (or object key) in a parsed JSON value,
 * e.g. `name` or `tags.2`, `''` for the value itself; undefined when it is clean.
 */
export function findUnsafeText(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return isUnsafeText(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return path;
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  for (const [key, item] of entries) {
    const itemPath = path ? `${path}.${key}` : key;
    if (isUnsafeText(key)) return itemPath;
    const found = findUnsafeText(item, itemPath, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * True when every percent-escape in a raw query string is well formed and
 * decodes to valid UTF-8. Fastify's query parser keeps broken escapes as they
 * are, so `?q=%E0%A4%A` would otherwise reach a handler as a different string
 * than the client meant.
 */
export function isWellEncodedQuery(rawQuery: string): boolean {
  try {
    decodeURIComponent(rawQuery.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}
