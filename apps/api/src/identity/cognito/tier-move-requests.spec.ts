import { describe, expect, it } from 'vitest';
import { resendInvitationInput } from './tier-move-requests.js';

describe(resendInvitationInput.name, () => {
  it('asks Cognito to resend the invitation of the existing user by e-mail, and nothing else', () => {
    const sut = resendInvitationInput({ userPoolId: 'eu-west-1_abc', region: 'eu-west-1' }, 'opaque-user');
    expect(sut).toEqual({ UserPoolId: 'eu-west-1_abc', Username: 'opaque-user', MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] });
    expect(sut).not.toHaveProperty('UserAttributes');
    expect(sut).not.toHaveProperty('TemporaryPassword');
  });
});
