export * from './tier-config.js';
export * from './pool-blueprint.js';
export * from './load.js';
export * from './mfa-policy.js';
export * from './sign-in-username.js';
