/**
 * Cognito requests a tier move needs that the emulator cannot show (it ignores
 * MessageAction RESEND), built as plain data so a unit spec can hold them to
 * Cognito's documented API.
 */
import type { AdminCreateUserCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import type { PoolRef } from '../identity-provider.js';

/**
 * AdminCreateUser for an existing user with MessageAction RESEND: Cognito
 * sends the invitation again with a new temporary password (the user then sets
 * their own at first sign-in). No attributes: RESEND changes nothing else.
 */
export function resendInvitationInput(pool: PoolRef, username: string): AdminCreateUserCommandInput {
  return { UserPoolId: pool.userPoolId, Username: username, MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] };
}
