import { TENANT_ROLES } from '@gatehouse/tiers';
import { z } from 'zod';

const email = z.string().trim().toLowerCase().pipe(z.email({ error: 'must be an e-mail address' })).pipe(z.string().max(254));
const role = z.enum(TENANT_ROLES);

export const inviteUserSchema = z.object({ email, role: role.default('member') }).strict();
export type InviteUser = z.infer<typeof inviteUserSchema>;

export const changeRoleSchema = z.object({ role }).strict();
export type ChangeRole = z.infer<typeof changeRoleSchema>;

export const listUsersQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** Opaque cursor from the previous page's `nextCursor`. */
    cursor: z.uuid().optional(),
    role: role.optional(),
    status: z.enum(['pending', 'active', 'disabled']).optional(),
    /** Matches the e-mail address (case-insensitive substring). */
    q: z.string().trim().min(1).max(254).optional(),
  })
  .strict();
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;

export const idParamSchema = z.uuid({ error: 'must be a UUID' });

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role,
  status: z.enum(['pending', 'active', 'disabled']),
  emailVerified: z.boolean(),
  /** `cognito`: the tenant's user pool; `external`: the tenant's own OpenID Connect provider. */
  source: z.enum(['cognito', 'external']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type UserView = z.infer<typeof userSchema>;

export const userPageSchema = z.object({ items: z.array(userSchema), nextCursor: z.uuid().nullable() });
