import { Module } from '@nestjs/common';
import { CognitoIdentityProvider } from './cognito/cognito-identity-provider.js';
import { IdentityProvider } from './identity-provider.js';

/**
 * Just the identity-provider port and its Cognito adapter, so that both the
 * public auth flows (identity) and provisioning (tenants) can use it without
 * importing each other.
 */
@Module({
  providers: [{ provide: IdentityProvider, useClass: CognitoIdentityProvider }],
  exports: [IdentityProvider],
})
export class IdentityProviderModule {}
