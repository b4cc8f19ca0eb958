/**
 * Who may create an account in a tenant through the public sign-up, decided
 * from the tenant's in-memory snapshot only — never from the users table — so
 * a refusal reads and takes the same whether or not the address has an
 * account. Invitations by the tenant's admins (`/v1/users`) do not pass here:
 * they work under every policy.
 */
import type { TenantRole } from '@gatehouse/tiers';
import type { TenantSnapshot } from '../auth/issuer-registry.js';
import { emailDomainOf } from '../tenants/domains/domain-challenge.js';

export type SignUpAdmission = { readonly admitted: true; readonly role: Exclude<TenantRole, 'admin'> } | { readonly admitted: false };

export function admitSignUp(tenant: Pick<TenantSnapshot, 'signUpPolicy' | 'signUpDefaultRole' | 'emailDomains'>, email: string): SignUpAdmission {
  const policy = tenant.signUpPolicy ?? 'closed';
  // Never admin, whatever a row says: self-service must not mint administrators.
  const role = tenant.signUpDefaultRole === 'viewer' ? 'viewer' : 'member';
  if (policy === 'open') return { admitted: true, role };
  if (policy === 'domains' && tenant.emailDomains.includes(emailDomainOf(email))) return { admitted: true, role };
  return { admitted: false };
}
