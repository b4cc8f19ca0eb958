import { ConflictError, DomainError, NotFoundError, ValidationFailedError } from '../common/domain-error.js';

export const tenantNotFound = () => new NotFoundError('tenant', 'tenant_not_found');
export const identityProviderNotFound = () => new NotFoundError('identity provider', 'identity_provider_not_found');
export const slugTaken = () => new ConflictError('tenant_slug_taken', 'Another tenant already uses this slug.');
export const hostTaken = (host: string) => new ConflictError('tenant_host_taken', `The host ${host} already belongs to another tenant.`);
export const emailDomainTaken = (domain: string) =>
  new ConflictError('tenant_email_domain_taken', `The e-mail domain ${domain} already belongs to another tenant.`);
export const issuerTaken = () =>
  new ConflictError('identity_provider_issuer_taken', 'This issuer is already trusted (a Cognito pool or another tenant’s provider).');
export const invalidTenantState = (status: string, action: string) =>
  new ConflictError('invalid_tenant_state', `A tenant that is ${status} cannot be ${action}.`);
export const provisioningInProgress = () =>
  new ConflictError('provisioning_in_progress', 'The tenant is being provisioned or deleted right now; try again shortly.');

export const tierMoveInProgress = () =>
  new ConflictError('tier_move_in_progress', 'The tenant is moving between tiers; wait for the move to end, or cancel it before cut-over.');
export const noTierMove = () => new ConflictError('no_tier_move', 'The tenant has no tier move that can be retried or cancelled now.');
export const tierMoveCutOver = () =>
  new ConflictError('tier_move_cut_over', 'The move has cut over: the tenant is served by its new tier and can no longer be rolled back.');
export const mfaReenrolmentNotAccepted = () =>
  new ConflictError(
    'mfa_reenrolment_not_accepted',
    'Users of this tenant use TOTP, whose secrets Cognito cannot export: they will enrol again at their first sign-in on the new tier. Send acceptMfaReenrolment: true to accept it.',
  );

/** A 400 naming one field, for rules zod cannot see (tier-dependent options). */
export const invalidField = (path: string, message: string) => new ValidationFailedError([{ path, message }]);

/** Another runner moved the state machine on (compare-and-set failed): stop, it owns the tenant now. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** Least privilege for tenant admins: opening a tenant to any address is an operator's decision. */
export class SignUpPolicyOperatorOnlyError extends DomainError {
  readonly code = 'sign_up_policy_operator_only';
  readonly status = 403;
  constructor() {
    super('Only a platform operator can open a tenant to sign-ups from any address.');
  }
}
