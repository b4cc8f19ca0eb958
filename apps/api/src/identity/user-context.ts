/**
 * The end user's context that Gatehouse forwards to Cognito's threat
 * protection through the Gatehouse client (`UserContextData`): the client
 * address Fastify resolved (the socket's, or the trusted proxy's forwarded
 * one) and, when the front end sent it, the encoded device data that Cognito's
 * advanced-security script collects (`AmazonCognitoAdvancedSecurityData.getData`),
 * in the `X-Cognito-Device-Data` header.
 */
import { ValidationFailedError } from '../common/domain-error.js';
import type { UserContext } from './identity-provider.js';

export const DEVICE_DATA_HEADER = 'x-cognito-device-data';
/** Cognito's limit for `UserContextData.EncodedData` is not published; real payloads are a few KB. */
export const MAX_DEVICE_DATA_LENGTH = 16_384;
/** The script's output is Base64-like text; anything else (controls, NUL, spaces) is refused. */
const DEVICE_DATA = /^[A-Za-z0-9+/=_.:-]+$/;

export function parseDeviceData(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header : [header];
  if (value.length !== 1 || value[0] === undefined || value[0].length === 0) {
    throw new ValidationFailedError([{ path: `header:${DEVICE_DATA_HEADER}`, message: 'send one non-empty value' }]);
  }
  const data = value[0];
  if (data.length > MAX_DEVICE_DATA_LENGTH || !DEVICE_DATA.test(data)) {
    throw new ValidationFailedError([
      { path: `header:${DEVICE_DATA_HEADER}`, message: `at most ${MAX_DEVICE_DATA_LENGTH} characters of encoded device data` },
    ]);
  }
  return data;
}

export function userContext(ipAddress: string, deviceData: string | undefined): UserContext {
  return { ipAddress, ...(deviceData ? { encodedData: deviceData } : {}) };
}
