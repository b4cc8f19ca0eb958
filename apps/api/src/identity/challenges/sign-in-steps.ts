/**
 * The steps of a sign-in after the password, shared by tenant users and
 * operators: turning Cognito's answer into tokens or a sealed challenge, and
 * answering a challenge for the handle's own user.
 *
 * MFA set-up happens in one of two places:
 * - **Cognito's MFA_SETUP** (silo pools and the operators' pool with MFA `ON`):
 *   AssociateSoftwareToken with the challenge's session gives the secret,
 *   VerifySoftwareToken with the session and the code, then
 *   RespondToAuthChallenge(MFA_SETUP) issues the tokens; TOTP is then made the
 *   preferred factor with the new access token.
 * - **Gatehouse's MFA_SETUP** (shared pools, where the pool's MFA is OPTIONAL):
 *   when the party requires MFA and Cognito issued tokens without a TOTP check,
 *   the tokens are held back inside the sealed handle; AssociateSoftwareToken
 *   and VerifySoftwareToken run with that access token, SetUserMFAPreference
 *   turns TOTP on, and only then are the tokens released.
 *
 * Either way, a party that requires MFA never gets tokens from a sign-in that
 * did not pass a TOTP check.
 */
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { type AuthOutcome, type ChallengeName, type ClientRef, IdentityProvider, type TokenSet } from '../identity-provider.js';
import { IdentityError, invalidCode } from '../identity.errors.js';
import { otpauthUri } from '../totp-uri.js';
import { ChallengeHandleLedger } from './challenge-handle-ledger.js';
import { type ChallengeHandleClaims, ChallengeHandleSealer, invalidChallenge } from './challenge-handle.js';

/** Wrong codes accepted per sign-in before the user must start again. */
export const MAX_CODE_ATTEMPTS = 5;

export interface SignInParty {
  readonly aud: 'tenant' | 'operator';
  readonly tenantId: string | null;
  readonly userId: string | null;
  /** The Cognito username challenges are answered for. */
  readonly username: string;
  readonly client: ClientRef;
  /** No tokens without a TOTP check in this sign-in. */
  readonly mfaRequired: boolean;
  /** How authenticator apps label the account. */
  readonly totpIssuer: string;
  readonly totpAccount: string;
}

export interface MfaSetupDetails {
  readonly secretCode: string;
  readonly otpauthUri: string;
}

export type SignInResult =
  | { readonly status: 'signed_in'; readonly tokens: TokenSet }
  | { readonly status: 'challenge'; readonly challenge: ChallengeName; readonly session: string; readonly mfaSetup?: MfaSetupDetails };

/** Runs just before tokens leave: refuse (throw) or record facts. `mfaPassed`: this sign-in checked a TOTP code. */
export type ReleaseHook = (tokens: TokenSet, mfaPassed: boolean) => Promise<void>;

export interface ChallengeAnswerInput {
  readonly code?: string;
  readonly newPassword?: string;
}

@Injectable()
export class SignInSteps {
  private readonly sealer: ChallengeHandleSealer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly identity: IdentityProvider,
    private readonly ledger: ChallengeHandleLedger,
  ) {
    this.sealer = new ChallengeHandleSealer(config.challengeHandleKeys);
  }

  /** The claims of a genuine handle for this audience; 401 `invalid_challenge` otherwise. */
  open(handle: string, aud: ChallengeHandleClaims['aud'], challenge: ChallengeName): ChallengeHandleClaims {
    const claims = this.sealer.open(handle);
    if (claims.aud !== aud || claims.challenge !== challenge) throw invalidChallenge();
    return claims;
  }

  /** Marks the handle used (across replicas); a second use is 401 `invalid_challenge`. */
  async consume(claims: ChallengeHandleClaims): Promise<void> {
    if (!(await this.ledger.consume(claims.jti, claims.exp))) throw invalidChallenge();
  }

  /** Tokens, or the next challenge sealed for this party. */
  async settle(party: SignInParty, outcome: AuthOutcome, mfaPassed: boolean, release: ReleaseHook): Promise<SignInResult> {
    if (outcome.kind === 'challenge') {
      if (outcome.challenge === 'MFA_SETUP') {
        const associated = await this.identity.associateSoftwareTokenInChallenge(party.client, outcome.session);
        return this.challenge(party, 'MFA_SETUP', { session: associated.session, mfaPassed }, associated.secretCode);
      }
      return this.challenge(party, outcome.challenge, { session: outcome.session, mfaPassed });
    }
    if (party.mfaRequired && !mfaPassed) {
      const { secretCode } = await this.identity.associateSoftwareToken(party.client, outcome.tokens.accessToken);
      return this.challenge(party, 'MFA_SETUP', { tokens: outcome.tokens, mfaPassed: false }, secretCode);
    }
    await release(outcome.tokens, mfaPassed);
    return { status: 'signed_in', tokens: outcome.tokens };
  }

  /**
   * Answers a consumed handle's challenge for the handle's user. A wrong code
   * is 400 `invalid_code` with a fresh handle in `session` (same expiry) until
   * {@link MAX_CODE_ATTEMPTS}.
   */
  async answer(party: SignInParty, claims: ChallengeHandleClaims, input: ChallengeAnswerInput, release: ReleaseHook): Promise<SignInResult> {
    try {
      return await this.answerOnce(party, claims, input, release);
    } catch (error) {
      if (error instanceof IdentityError && error.code === 'invalid_code' && claims.attempts + 1 < MAX_CODE_ATTEMPTS) {
        const { jti: _jti, ...rest } = claims;
        const { handle } = this.sealer.seal({ ...rest, attempts: claims.attempts + 1 });
        throw Object.assign(invalidCode(), { extensions: { session: handle } });
      }
      throw error;
    }
  }

  private async answerOnce(party: SignInParty, claims: ChallengeHandleClaims, input: ChallengeAnswerInput, release: ReleaseHook): Promise<SignInResult> {
    const code = input.code ?? '';
    if (claims.challenge === 'MFA_SETUP' && claims.tokens) {
      const tokens = claims.tokens;
      await this.identity.verifySoftwareToken(party.client, tokens.accessToken, code);
      await this.identity.setSoftwareTokenMfa(party.client, tokens.accessToken, true);
      await release(tokens, true);
      return { status: 'signed_in', tokens };
    }
    if (!claims.session) throw invalidChallenge();
    if (claims.challenge === 'MFA_SETUP') {
      const verified = await this.identity.verifySoftwareTokenInChallenge(party.client, claims.session, code);
      const outcome = await this.identity.respondToChallenge(party.client, { challenge: 'MFA_SETUP', session: verified.session, username: claims.username });
      return this.settle(party, outcome, true, async (tokens, mfaPassed) => {
        // Cognito enrolled the key inside the challenge; make TOTP the user's preferred factor too.
        await this.identity.setSoftwareTokenMfa(party.client, tokens.accessToken, true);
        await release(tokens, mfaPassed);
      });
    }
    const outcome = await this.identity.respondToChallenge(party.client, {
      challenge: claims.challenge,
      session: claims.session,
      username: claims.username,
      ...(input.newPassword !== undefined ? { newPassword: input.newPassword } : {}),
      ...(input.code !== undefined ? { code: input.code } : {}),
    });
    return this.settle(party, outcome, claims.mfaPassed || claims.challenge === 'SOFTWARE_TOKEN_MFA', release);
  }

  private challenge(
    party: SignInParty,
    challenge: ChallengeName,
    held: { session?: string; tokens?: TokenSet; mfaPassed: boolean },
    secretCode?: string,
  ): SignInResult {
    const { handle } = this.sealer.seal({
      aud: party.aud,
      tenantId: party.tenantId,
      userId: party.userId,
      username: party.username,
      clientId: party.client.clientId,
      challenge,
      ...(held.session !== undefined ? { session: held.session } : {}),
      ...(held.tokens !== undefined ? { tokens: held.tokens } : {}),
      mfaPassed: held.mfaPassed,
    });
    return {
      status: 'challenge',
      challenge,
      session: handle,
      ...(secretCode ? { mfaSetup: { secretCode, otpauthUri: otpauthUri(party.totpIssuer, party.totpAccount, secretCode) } } : {}),
    };
  }
}
