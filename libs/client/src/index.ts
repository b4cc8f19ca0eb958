/** `@gatehouse/client`: the browser (and Node) SDK for Gatehouse. See README "Browser front door". */
export { ChallengeRetryError, GatehouseClient } from './client.js';
export type { ChallengeStep, GatehouseClientOptions, SignInStep } from './client.js';
export { GatehouseError, SsoError } from './errors.js';
export type { Problem } from './errors.js';
export type { FetchLike } from './http.js';
export type { SessionInfo } from './session.js';
export { MemoryStorage } from './sso.js';
export type { KeyValueStorage } from './sso.js';
export type * from './types.js';
export type { components, operations, paths } from './generated/openapi.js';
