/**
 * Text Gatehouse refuses wherever it comes from (body, query, path, token
 * claims): NUL characters, which Postgres cannot store in text and which no
 * e-mail, name or identifier legitimately holds, and unpaired UTF-16
 * surrogates, which cannot be encoded as UTF-8 and would be stored as U+FFFD,
 * silently changing what the client sent. Refusing them at the edge turns a
 * driver error deep in a transaction (a 500) into a precise 400 / 401.
 */

/** `String.prototype.isWellFormed` (ES2024, Node 20+): false exactly when the string has an unpaired surrogate. */
const isWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed;

/** Deeper than any body or claim set this API accepts; a deeper value is refused as unsafe. */
const MAX_DEPTH = 32;

/**
 * A NUL, or an unpaired UTF-16 surrogate. Two native scans instead of a regular
 * expression with look-behind: every token's claims and every body pass through here.
 */
export function isUnsafeText(value: string): boolean {
  return value.includes('\u0000') || !isWellFormed.call(value);
}

/** `parent.key`, or just `key` at the top — the path notation of {@link findUnsafeText}. */
function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * The path of the first unsafe string (or object key) in a parsed JSON value,
 * e.g. `name` or `tags.2`, `''` for the value itself; undefined when it is clean.
 * (Paths are built only for what is found: the clean case allocates nothing per entry.)
 */
export function findUnsafeText(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return isUnsafeText(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return path;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      if (item !== null && (typeof item === 'object' || (typeof item === 'string' && isUnsafeText(item)))) {
        const found = findUnsafeText(item, childPath(path, String(index)), depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (isUnsafeText(key)) return childPath(path, key);
    const item = record[key];
    if (item !== null && (typeof item === 'object' || (typeof item === 'string' && isUnsafeText(item)))) {
      const found = findUnsafeText(item, childPath(path, key), depth + 1);
      if (found !== undefined) return found;
    }
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
