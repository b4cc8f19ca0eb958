import { z } from 'zod';

const name = z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters');
const description = z.string().trim().max(2000, 'at most 2000 characters');

export const createProjectSchema = z.object({ name, description: description.optional() }).strict();
export type CreateProject = z.infer<typeof createProjectSchema>;

export const updateProjectSchema = z
  .object({ name: name.optional(), description: description.nullable().optional() })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send at least one field to change');
export type UpdateProject = z.infer<typeof updateProjectSchema>;

export const createTaskSchema = z.object({ title: z.string().trim().min(1).max(500) }).strict();
export type CreateTask = z.infer<typeof createTaskSchema>;

export const updateTaskSchema = z
  .object({ title: z.string().trim().min(1).max(500).optional(), done: z.boolean().optional() })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send at least one field to change');
export type UpdateTask = z.infer<typeof updateTaskSchema>;

export const listQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** Opaque cursor from the previous page's `nextCursor`. */
    cursor: z.uuid().optional(),
  })
  .strict();
export type ListQuery = z.infer<typeof listQuerySchema>;

export const idParamSchema = z.uuid({ error: 'must be a UUID' });

export const projectSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  ownerId: z.uuid(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const taskSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  title: z.string(),
  done: z.boolean(),
  ownerId: z.uuid(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const pageSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.uuid().nullable() });
