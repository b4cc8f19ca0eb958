import { describe, expect, it } from 'vitest';
import { OutboundUrlRefused, checkUrlShape, isPublicAddress, resolvePublicAddresses, withoutCredentials } from './outbound-url.js';

const AWS = { allowPrivateAddresses: false };
const LOCAL = { allowPrivateAddresses: true };

describe(isPublicAddress.name, () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '255.255.255.255', '224.0.0.1', '198.18.0.1',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::10.0.0.1',
    '2002:a9fe:a9fe::1', '2002:7f00:1::', 'fd00:ec2::254', 'fc00::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', '2001:db8::1', '2001:0:4136:e378::1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])('accepts %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe(checkUrlShape.name, () => {
  it.each([
    'https://127.0.0.1/jwks',
    'https://127.1/jwks', // short form
    'https://2130706433/jwks', // decimal
    'https://0x7f000001/jwks', // hex
    'https://0x7f.0.0.1/jwks',
    'https://0177.0.0.1/jwks', // octal
    'https://017700000001/jwks',
    'https://[::1]/jwks',
    'https://[::ffff:127.0.0.1]/jwks', // IPv4-mapped IPv6
    'https://[::ffff:169.254.169.254]/latest/meta-data',
    'https://169.254.169.254/latest/meta-data',
    'https://0xa9fea9fe/',
    'https://[fd00:ec2::254]/',
    'https://10.0.0.1/',
    'https://0/',
    'https://localhost/jwks',
    'https://api.localhost/jwks',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://intranet/jwks',
  ])('refuses %s in AWS mode', (raw) => {
    expect(() => checkUrlShape(raw, AWS)).toThrow(OutboundUrlRefused);
  });

  it('refuses credentials in every mode, without repeating them', () => {
    for (const policy of [AWS, LOCAL]) {
      for (const raw of ['https://user:s3cret@idp.example.com/jwks', 'https://token@idp.example.com/jwks', 'http://a:b@127.0.0.1:8080/']) {
        expect(() => checkUrlShape(raw, policy)).toThrow(/credentials/);
        try {
          checkUrlShape(raw, policy);
        } catch (error) {
          expect(String(error)).not.toMatch(/s3cret|token@|a:b/);
        }
      }
    }
  });

  it('refuses http in AWS mode and accepts loopback http in local mode', () => {
    expect(() => checkUrlShape('http://idp.example.com/jwks', AWS)).toThrow(/https/);
    expect(checkUrlShape('http://127.0.0.1:8080/jwks', LOCAL).hostname).toBe('127.0.0.1');
    expect(checkUrlShape('https://idp.example.com/.well-known/jwks.json', AWS).hostname).toBe('idp.example.com');
  });
});

describe(resolvePublicAddresses.name, () => {
  it('refuses a name when any of its addresses is not public (DNS pointing inside)', async () => {
    const url = new URL('https://idp.example.com/jwks');
    await expect(resolvePublicAddresses(url, AWS, async () => ['93.184.216.34', '169.254.169.254'])).rejects.toThrow(OutboundUrlRefused);
    await expect(resolvePublicAddresses(url, AWS, async () => ['::ffff:10.0.0.5'])).rejects.toThrow(OutboundUrlRefused);
    await expect(resolvePublicAddresses(url, AWS, async () => [])).rejects.toThrow(/resolve/);
    await expect(resolvePublicAddresses(url, AWS, async () => Promise.reject(new Error('ENOTFOUND')))).rejects.toThrow(/resolve/);
    expect(await resolvePublicAddresses(url, AWS, async () => ['93.184.216.34'])).toEqual(['93.184.216.34']);
  });
});

describe(withoutCredentials.name, () => {
  it('strips user name and password', () => {
    expect(withoutCredentials('https://user:pw@idp.example.com/x')).toBe('https://idp.example.com/x');
  });
});
