import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, renderClientTypes } from './client-types.js';
import { openApiDocument } from './openapi-document.js';

describe(renderClientTypes.name, () => {
  it('matches the committed SDK types (else run `node tools/run.mjs generate-client`)', async () => {
    const expected = await renderClientTypes(await openApiDocument());
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8')).toBe(expected);
  }, 60_000);
});
