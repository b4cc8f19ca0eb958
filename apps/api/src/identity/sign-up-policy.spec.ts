import { describe, expect, it } from 'vitest';
import { admitSignUp } from './sign-up-policy.js';

describe(admitSignUp.name, () => {
  const domains = ['acme.test'];

  it('closed (and an absent policy) admits nobody', () => {
    expect(admitSignUp({ signUpPolicy: 'closed', emailDomains: domains }, 'bob@acme.test')).toEqual({ admitted: false });
    expect(admitSignUp({ emailDomains: domains }, 'bob@acme.test')).toEqual({ admitted: false });
  });

  it('domains admits only addresses of the (verified) domains listed, exactly', () => {
    expect(admitSignUp({ signUpPolicy: 'domains', emailDomains: domains }, 'Bob@ACME.test')).toEqual({ admitted: true, role: 'member' });
    expect(admitSignUp({ signUpPolicy: 'domains', emailDomains: domains }, 'eve@gmail.com')).toEqual({ admitted: false });
    expect(admitSignUp({ signUpPolicy: 'domains', emailDomains: domains }, 'eve@sub.acme.test')).toEqual({ admitted: false });
    expect(admitSignUp({ signUpPolicy: 'domains', emailDomains: domains }, 'eve@evilacme.test')).toEqual({ admitted: false });
    expect(admitSignUp({ signUpPolicy: 'domains', emailDomains: [] }, 'bob@acme.test')).toEqual({ admitted: false });
  });

  it('open admits anyone, with the default role', () => {
    expect(admitSignUp({ signUpPolicy: 'open', signUpDefaultRole: 'viewer', emailDomains: [] }, 'eve@gmail.com')).toEqual({ admitted: true, role: 'viewer' });
  });

  it('never gives admin, even if a snapshot said so', () => {
    const snapshot = { signUpPolicy: 'open', signUpDefaultRole: 'admin', emailDomains: [] } as unknown as Parameters<typeof admitSignUp>[0];
    expect(admitSignUp(snapshot, 'eve@gmail.com')).toEqual({ admitted: true, role: 'member' });
  });
});
