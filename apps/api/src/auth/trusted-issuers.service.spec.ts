import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config.schema.js';
import { isCognitoIssuerUrl, issuerAcceptor } from './trusted-issuers.service.js';

const local = { isLocal: true, env: { COGNITO_ENDPOINT: 'http://127.0.0.1:9229' } } as unknown as AppConfig;
const aws = { isLocal: false, env: {} } as unknown as AppConfig;

describe(issuerAcceptor.name, () => {
  it('trusts the emulator’s issuers only in local mode', () => {
    expect(issuerAcceptor(local)('http://127.0.0.1:9229/local_abc', 'cognito')).toBe(true);
    expect(issuerAcceptor(aws)('http://127.0.0.1:9229/local_abc', 'cognito')).toBe(false);
  });

  it('in local mode, refuses Cognito issuers that are not the configured emulator', () => {
    expect(issuerAcceptor(local)('http://127.0.0.1:9230/local_abc', 'cognito')).toBe(false);
    expect(issuerAcceptor(local)('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc', 'cognito')).toBe(false);
  });

  it('in AWS mode, trusts only Cognito’s HTTPS issuers and HTTPS external providers', () => {
    const accept = issuerAcceptor(aws);
    expect(accept('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', 'cognito')).toBe(true);
    expect(accept('https://cognito-idp.eu-west-1.amazonaws.com.evil.test/eu-west-1_AbC123', 'cognito')).toBe(false);
    expect(accept('https://login.customer.test', 'external')).toBe(true);
    expect(accept('http://login.customer.test', 'external')).toBe(false);
  });

  it('never accepts a Cognito URL, or the emulator’s, as a tenant’s external provider', () => {
    expect(issuerAcceptor(aws)('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', 'external')).toBe(false);
    expect(issuerAcceptor(local)('http://127.0.0.1:9229/local_abc', 'external')).toBe(false);
    expect(issuerAcceptor(local)('http://127.0.0.1:9300', 'external')).toBe(true);
    expect(isCognitoIssuerUrl('https://cognito-idp.us-east-1.amazonaws.com/anything', aws)).toBe(true);
    expect(isCognitoIssuerUrl('https://login.customer.test', aws)).toBe(false);
  });
});
