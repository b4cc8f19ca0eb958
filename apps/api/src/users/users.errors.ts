import { ConflictError, NotFoundError } from '../common/domain-error.js';

export const userNotFound = () => new NotFoundError('user', 'user_not_found');
export const userExists = () => new ConflictError('user_exists', 'The tenant already has a user with this e-mail address.');
export const cannotChangeOwnAccount = () =>
  new ConflictError('cannot_change_own_account', 'Admins cannot demote, disable or remove themselves; ask another admin.');
