/**
 * Operators sign in through the API: e-mail and password against the
 * operators' pool and its client, then TOTP — or, on a first sign-in, the
 * MFA set-up — through the same sealed, single-use challenge handles as tenant
 * users. Operators always need MFA: no operator tokens leave without a TOTP
 * check in the same sign-in, whatever the pool's configuration says.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OPERATORS_POOL_KEY, PLATFORM_ADMIN_ROLE } from '@gatehouse/tiers';
import { ForbiddenError } from '../auth/auth.errors.js';
import { decodeUnverifiedPayload } from '../auth/bearer-token.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { RateLimits } from '../rate-limits/rate-limits.service.js';
import { type ReleaseHook, type SignInParty, type SignInResult, SignInSteps } from './challenges/sign-in-steps.js';
import { type ChallengeName, type ClientRef, IdentityProvider } from './identity-provider.js';
import { IdentityError, invalidCredentials } from './identity.errors.js';
import { assertPasswordMeetsPolicy } from './password-policy.js';

const DECOY_USERNAME_PREFIX = 'gatehouse-no-such-operator-';

/** Operators' tokens must carry platform-admin; anyone else in the pool has no business here. */
const requirePlatformAdmin: ReleaseHook = async (tokens) => {
  const groups = decodeUnverifiedPayload(tokens.accessToken)?.['cognito:groups'];
  if (!Array.isArray(groups) || !groups.includes(PLATFORM_ADMIN_ROLE)) {
    throw new ForbiddenError('insufficient_role', 'This account is not a platform operator.');
  }
};

@Injectable()
export class OperatorAuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly identity: IdentityProvider,
    private readonly steps: SignInSteps,
    private readonly limits: RateLimits,
  ) {}

  async signIn(clientAddress: string, input: { email: string; password: string }): Promise<SignInResult> {
    await this.limits.consume([['sign_in_address', clientAddress]]);
    const key = input.email.toLowerCase();
    // Operators have no tenant: their failures are counted under the operators' pool key.
    await this.limits.assertSignInAllowed(OPERATORS_POOL_KEY, key);
    const client = this.client();
    const username = await this.identity.findUsernameByEmail(client, key);
    let outcome;
    try {
      // An unknown address still costs Cognito a sign-in, so timing does not tell who is an operator.
      outcome = await this.identity.signInWithPassword(client, username ?? `${DECOY_USERNAME_PREFIX}${randomUUID()}`, input.password);
      if (!username) throw invalidCredentials();
    } catch (error) {
      if ((error as { code?: string }).code === 'invalid_credentials') await this.limits.recordSignInFailure(OPERATORS_POOL_KEY, key);
      throw error;
    }
    await this.limits.resetSignInFailures(OPERATORS_POOL_KEY, key);
    return this.steps.settle(this.party(client, username, key), outcome, false, requirePlatformAdmin);
  }

  async respondToChallenge(input: { challenge: ChallengeName; session: string; newPassword?: string; code?: string }): Promise<SignInResult> {
    const claims = this.steps.open(input.session, 'operator', input.challenge);
    if (input.newPassword !== undefined) assertPasswordMeetsPolicy(input.newPassword, this.config.tiers.operators.passwordPolicy, 'newPassword');
    await this.steps.consume(claims);
    const client = this.client();
    return this.steps.answer(
      this.party(client, claims.username, claims.username),
      claims,
      { ...(input.code !== undefined ? { code: input.code } : {}), ...(input.newPassword !== undefined ? { newPassword: input.newPassword } : {}) },
      requirePlatformAdmin,
    );
  }

  /** The operators' confidential Gatehouse client: the public console client does not allow password sign-in. */
  private client(): ClientRef {
    const pool = this.config.sharedPools.get(OPERATORS_POOL_KEY);
    if (!pool?.gatehouseClientId) {
      throw new IdentityError(503, 'identity_provider_unavailable', 'The operators’ pool is not configured.', { 'retry-after': '30' });
    }
    return { userPoolId: pool.userPoolId, region: pool.region, clientId: pool.gatehouseClientId };
  }

  private party(client: ClientRef, username: string, account: string): SignInParty {
    return {
      aud: 'operator',
      tenantId: null,
      userId: null,
      username,
      client,
      mfaRequired: true,
      totpIssuer: `Gatehouse operators (${this.config.env.GATEHOUSE_DEPLOYMENT})`,
      totpAccount: account,
    };
  }
}
