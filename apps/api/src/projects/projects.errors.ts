import { ConflictError, NotFoundError } from '../common/domain-error.js';
import { ForbiddenError } from '../auth/auth.errors.js';

export const projectNotFound = () => new NotFoundError('project', 'project_not_found');
export const taskNotFound = () => new NotFoundError('task', 'task_not_found');
export const projectNameTaken = () => new ConflictError('project_name_taken', 'This tenant already has a project with that name.');
/** The row is visible to the caller but its role may not change it (a member and someone else's row). */
export const notOwner = () => new ForbiddenError('forbidden_by_policy', 'Only the owner or a tenant admin can change this.');
