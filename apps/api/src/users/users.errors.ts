import { isLastAdminViolation, isRecordMissing } from '../common/database-errors.js';
import { ConflictError, NotFoundError } from '../common/domain-error.js';

export const userNotFound = () => new NotFoundError('user', 'user_not_found');
export const userExists = () => new ConflictError('user_exists', 'The tenant already has a user with this e-mail address.');
export const cannotChangeOwnAccount = () =>
  new ConflictError('cannot_change_own_account', 'Admins cannot demote, disable or remove themselves; ask another admin.');
export const lastAdmin = () =>
  new ConflictError('last_admin', 'The tenant must keep at least one active admin; this change would leave it with none.');

/** Database refusals a user-management write can meet under concurrency, as domain errors. */
export function explainUserWriteError(error: unknown): unknown {
  if (isLastAdminViolation(error)) return lastAdmin();
  if (isRecordMissing(error)) return userNotFound(); // a concurrent request removed the user first
  return error;
}
export const mfaManagedElsewhere = () =>
  new ConflictError('mfa_managed_by_identity_provider', "This user signs in through the tenant's own identity provider, which manages their MFA.");
