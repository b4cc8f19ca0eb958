/**
 * Sealed challenge handles. Every multi-step sign-in (new password, MFA
 * set-up, TOTP) hands the client an opaque handle instead of Cognito's
 * session: AES-256-GCM over who the challenge is for (tenant, user, Cognito
 * username), which challenge, Cognito's session (or, for an MFA set-up that
 * Gatehouse holds, the tokens Cognito already issued), a unique `jti` and an
 * expiry. The client can neither read nor alter it, so `/v1/auth/challenge`
 * trusts no e-mail, tenant or session from the body: it answers for the
 * handle's own user. Whatever Cognito does with its session, a made-up handle
 * or another user's does not open, and single use is enforced by the ledger.
 *
 * Format: `gh1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`, the prefix and key
 * id authenticated as additional data. Rotation: the first configured key
 * seals, every configured key opens.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ChallengeHandleKey } from '../../config/config.schema.js';
import type { TokenSet } from '../identity-provider.js';
import { IdentityError } from '../identity.errors.js';

const VERSION = 'gh1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Cognito's own challenge sessions last 3 to 15 minutes; a handle never outlives five. */
export const CHALLENGE_HANDLE_TTL_SECONDS = 300;

export const GATEHOUSE_CHALLENGES = ['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'MFA_SETUP', 'SELECT_MFA_TYPE'] as const;

const tokenSetSchema = z.object({
  accessToken: z.string(),
  idToken: z.string(),
  refreshToken: z.string().optional(),
  expiresIn: z.number(),
  tokenType: z.literal('Bearer'),
});

const claimsSchema = z.object({
  /** Whose sign-in: a tenant's user, or a platform operator. */
  aud: z.enum(['tenant', 'operator']),
  tenantId: z.string().nullable(),
  userId: z.string().nullable(),
  /** The Cognito username the challenge is answered for. */
  username: z.string().min(1),
  challenge: z.enum(GATEHOUSE_CHALLENGES),
  /** The app client the challenge belongs to: during a tier move it may be the other side's (see README "Moving a tenant between tiers"). */
  clientId: z.string().optional(),
  /** Cognito's session, for a challenge Cognito holds. */
  session: z.string().optional(),
  /** Tokens held back until the user enrols TOTP (an MFA set-up Gatehouse holds). */
  tokens: tokenSetSchema.optional(),
  /** Whether this sign-in already passed a TOTP check. */
  mfaPassed: z.boolean(),
  /** Wrong codes so far (a fresh handle is issued after each, up to a limit). */
  attempts: z.number().int().min(0),
  jti: z.string().min(1),
  exp: z.number().int(),
});

export type ChallengeHandleClaims = z.infer<typeof claimsSchema>;
export type NewChallengeHandle = Omit<ChallengeHandleClaims, 'jti' | 'exp' | 'attempts'> & { readonly attempts?: number; readonly exp?: number };

export const invalidChallenge = () =>
  new IdentityError(401, 'invalid_challenge', 'The challenge handle is not valid, was already used or has expired; sign in again.');

export class ChallengeHandleSealer {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(
    private readonly keys: readonly ChallengeHandleKey[],
    private readonly now: () => number = () => Date.now(),
  ) {
    if (keys.length === 0) throw new Error('at least one challenge-handle key is required');
    this.byId = new Map(keys.map((key) => [key.id, key.key]));
  }

  /** Seals a handle with a fresh jti; keeps a given `exp` (a re-issued handle never extends the original). */
  seal(input: NewChallengeHandle): { handle: string; claims: ChallengeHandleClaims } {
    const claims: ChallengeHandleClaims = {
      ...input,
      attempts: input.attempts ?? 0,
      jti: randomUUID(),
      exp: input.exp ?? Math.floor(this.now() / 1000) + CHALLENGE_HANDLE_TTL_SECONDS,
    };
    const key = this.keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.key, iv);
    cipher.setAAD(Buffer.from(`${VERSION}.${key.id}`));
    const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(claims), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { handle: `${VERSION}.${key.id}.${sealed.toString('base64url')}`, claims };
  }

  /** The claims of a genuine, unexpired handle; 401 `invalid_challenge` for anything else. */
  open(handle: string): ChallengeHandleClaims {
    const parts = handle.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) throw invalidChallenge();
    const [, keyId, body] = parts as [string, string, string];
    const key = this.byId.get(keyId);
    const sealed = Buffer.from(body, 'base64url');
    if (!key || sealed.length <= IV_BYTES + TAG_BYTES) throw invalidChallenge();
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw invalidChallenge();
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(plain);
    } catch {
      throw invalidChallenge();
    }
    const result = claimsSchema.safeParse(parsed);
    if (!result.success || result.data.exp * 1000 <= this.now()) throw invalidChallenge();
    return result.data;
  }
}

export type { TokenSet };
