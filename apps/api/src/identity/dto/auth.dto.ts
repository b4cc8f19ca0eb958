import { z } from 'zod';

/** E-mail as Gatehouse stores it: trimmed, lower-case, at most 254 characters. */
const email = z
  .string()
  .trim()
  .max(254, 'at most 254 characters')
  .pipe(z.email({ error: 'must be an e-mail address' }))
  .transform((value) => value.toLowerCase());
/** Length only: the tenant's policy is checked by the service, with precise messages. */
const password = z.string().min(1, 'is required').max(256, 'at most 256 characters');
const tenant = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a tenant slug')
  .optional()
  .describe('The tenant’s slug. Optional when the host already names the tenant; must agree with it otherwise.');
const code = z.string().trim().regex(/^\d{4,10}$/, 'must be the numeric code you received');
const token = z.string().min(1).max(8192);

export const signUpSchema = z.object({ tenant, email, password }).strict();
export const confirmSignUpSchema = z.object({ tenant, email, code }).strict();
export const resendCodeSchema = z.object({ tenant, email }).strict();
export const signInSchema = z.object({ tenant, email, password }).strict();
/** The opaque handle from the sign-in answer (sealed by Gatehouse; it may carry held-back tokens, hence the size). */
const challengeHandle = z.string().min(1).max(16_384).describe('The `session` handle of the previous answer, exactly as received.');
const challengeFields = {
  challenge: z.enum(['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'SELECT_MFA_TYPE', 'MFA_SETUP']),
  session: challengeHandle,
  newPassword: password.optional(),
  code: code.optional(),
};
const answersItsChallenge = <T extends z.ZodType<{ challenge: string; newPassword?: string | undefined; code?: string | undefined }>>(schema: T) =>
  schema
    .refine((value) => value.challenge !== 'NEW_PASSWORD_REQUIRED' || value.newPassword !== undefined, {
      message: 'newPassword is required for NEW_PASSWORD_REQUIRED',
      path: ['newPassword'],
    })
    .refine((value) => !['SOFTWARE_TOKEN_MFA', 'MFA_SETUP'].includes(value.challenge) || value.code !== undefined, {
      message: 'code is required for SOFTWARE_TOKEN_MFA and MFA_SETUP',
      path: ['code'],
    });
export const challengeSchema = answersItsChallenge(
  z
    .object({
      tenant,
      /** Optional: the handle names its user; an e-mail given must be that user's. */
      email: email.optional(),
      ...challengeFields,
    })
    .strict(),
);
export const operatorSignInSchema = z.object({ email, password }).strict();
export const operatorChallengeSchema = answersItsChallenge(z.object(challengeFields).strict());
export const refreshSchema = z.object({ tenant, refreshToken: token }).strict();
export const signOutSchema = z.object({ tenant, refreshToken: token }).strict();
export const forgotPasswordSchema = z.object({ tenant, email }).strict();
export const confirmForgotPasswordSchema = z.object({ tenant, email, code, newPassword: password }).strict();
export const changePasswordSchema = z.object({ previousPassword: password, proposedPassword: password }).strict();
export const totpCodeSchema = z.object({ code }).strict();

export type SignUp = z.infer<typeof signUpSchema>;
export type ConfirmSignUp = z.infer<typeof confirmSignUpSchema>;
export type ResendCode = z.infer<typeof resendCodeSchema>;
export type SignIn = z.infer<typeof signInSchema>;
export type Challenge = z.infer<typeof challengeSchema>;
export type OperatorSignIn = z.infer<typeof operatorSignInSchema>;
export type OperatorChallenge = z.infer<typeof operatorChallengeSchema>;
export type Refresh = z.infer<typeof refreshSchema>;
export type SignOut = z.infer<typeof signOutSchema>;
export type ForgotPassword = z.infer<typeof forgotPasswordSchema>;
export type ConfirmForgotPassword = z.infer<typeof confirmForgotPasswordSchema>;
export type ChangePassword = z.infer<typeof changePasswordSchema>;
export type TotpCode = z.infer<typeof totpCodeSchema>;

export const tokenSetSchema = z.object({
  accessToken: z.string(),
  idToken: z.string(),
  refreshToken: z.string().optional(),
  expiresIn: z.number().int(),
  tokenType: z.literal('Bearer'),
});
export const signInResultSchema = z.union([
  z.object({ status: z.literal('signed_in'), tokens: tokenSetSchema }),
  z.object({
    status: z.literal('challenge'),
    challenge: z.enum(['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'SELECT_MFA_TYPE', 'MFA_SETUP']),
    session: z.string().describe('Opaque, single-use, expires in 5 minutes: send it back with the answer.'),
    mfaSetup: z
      .object({ secretCode: z.string(), otpauthUri: z.string() })
      .optional()
      .describe('MFA_SETUP only: the TOTP secret for an authenticator app (and its otpauth:// URI for a QR code).'),
  }),
]);
export const acceptedSchema = z.object({ status: z.literal('accepted'), next: z.string() });

export const tenantLookupQuerySchema = z
  .object({
    host: z.string().trim().min(1).max(253).optional(),
    email: z.string().trim().max(254).optional(),
    slug: z.string().trim().min(1).max(63).optional(),
  })
  .strict()
  .refine((value) => [value.host, value.email, value.slug].filter((item) => item !== undefined).length === 1, 'give exactly one of host, email, slug');
export type TenantLookupQuery = z.infer<typeof tenantLookupQuerySchema>;
