import { describe, expect, it } from 'vitest';
import { extractBearerToken } from './bearer-token.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl-_';

const codeOf = (authorization: string | string[] | undefined) => {
  try {
    extractBearerToken(authorization);
    return 'accepted';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('extractBearerToken', () => {
  it('returns the token of a Bearer header, in any case of the scheme', () => {
    expect(extractBearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(extractBearerToken(`bearer ${TOKEN}`)).toBe(TOKEN);
    expect(extractBearerToken(`BEARER ${TOKEN}`)).toBe(TOKEN);
    expect(extractBearerToken('Bearer a.b.')).toBe('a.b.'); // an empty signature segment is the verifier's to refuse
  });

  it('says the token is missing when there is no header', () => {
    expect(codeOf(undefined)).toBe('token_missing');
  });

  it.each([
    ['another scheme', `Basic ${TOKEN}`],
    ['a scheme that only starts like Bearer', `Bearerx ${TOKEN}`],
    ['no space after the scheme', `Bearer\t${TOKEN}`],
    ['the scheme alone', 'Bearer'],
    ['an empty token', 'Bearer '],
    ['two spaces', `Bearer  ${TOKEN}`],
    ['two segments', 'Bearer a.b'],
    ['four segments', `Bearer ${TOKEN}.x`],
    ['an empty header segment', 'Bearer .b.c'],
    ['an empty payload segment', 'Bearer a..c'],
    ['text after the token', `Bearer ${TOKEN} extra`],
    ['base64 (not base64url) characters in the signature', 'Bearer a.b.c+d/e='],
    ['other characters in the header', 'Bearer !!!.b.c'],
    ['a header given twice', [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]],
    ['a token over 16 KB', `Bearer a.${'b'.repeat(16 * 1024)}.c`],
  ])('refuses %s as a malformed header', (_name, authorization) => {
    expect(codeOf(authorization)).toBe('invalid_authorization_header');
  });

  it('leaves the payload segment to the signature check (its text is the signed input)', () => {
    expect(codeOf('Bearer a.b c+d.e')).toBe('accepted');
  });
});
