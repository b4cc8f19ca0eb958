import { describe, expect, it } from 'vitest';
import { MAX_DEVICE_DATA_LENGTH, parseDeviceData, userContext } from './user-context.js';

describe(parseDeviceData.name, () => {
  it('passes encoded device data through, and nothing when the header is absent', () => {
    expect(parseDeviceData('eyJwYXlsb2FkIjoiZGF0YSJ9')).toBe('eyJwYXlsb2FkIjoiZGF0YSJ9');
    expect(parseDeviceData(undefined)).toBeUndefined();
  });

  it.each([
    ['a NUL byte', 'abc\u0000def'],
    ['spaces', 'abc def'],
    ['an empty value', ''],
    ['too much data', 'a'.repeat(MAX_DEVICE_DATA_LENGTH + 1)],
  ])('refuses %s with 400 validation_failed', (_case, value) => {
    expect(() => parseDeviceData(value)).toThrow(expect.objectContaining({ status: 400, code: 'validation_failed' }));
  });

  it('refuses a repeated header', () => {
    expect(() => parseDeviceData(['a', 'b'])).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe(userContext.name, () => {
  it('carries the address, and the device data only when given', () => {
    expect(userContext('203.0.113.9', undefined)).toEqual({ ipAddress: '203.0.113.9' });
    expect(userContext('203.0.113.9', 'ZA==')).toEqual({ ipAddress: '203.0.113.9', encodedData: 'ZA==' });
  });
});
