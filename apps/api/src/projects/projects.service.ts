/**
 * The sample tenant-owned domain. None of its queries filters by tenant
 * itself: Postgres' policies decide which rows exist. Reads and single-statement
 * writes run without an interactive transaction (TenantDb.autocommit: the
 * tenant settings travel with each statement); writes of several statements
 * run in ONE transaction (TenantDb.run). The list — every client's first call —
 * is one tagged SQL statement. Where a write touches nothing, the service
 * tells "not there for you" (404) from "there, but not yours to change" (403).
 */
import { Injectable } from '@nestjs/common';
import { isRowLevelSecurityViolation, isUniqueViolation } from '../common/database-errors.js';
import { TenantDb, sql } from '../database/tenant-db.js';
import type { TransactionClient } from '../database/prisma-client.js';
import { currentAuth } from '../tenancy/request-context.js';
import { MissingTenantContextError } from '../common/domain-error.js';
import type { CreateProject, CreateTask, ListQuery, UpdateProject, UpdateTask } from './dto/project.dto.js';
import { notOwner, projectNameTaken, projectNotFound, taskNotFound } from './projects.errors.js';

const projectFields = { id: true, name: true, description: true, ownerId: true, createdAt: true, updatedAt: true } as const;
/** A project as tagged SQL returns it: timestamps as ISO 8601 strings, exactly as the response carries them. */
interface ProjectRow {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly ownerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const taskFields = { id: true, projectId: true, title: true, done: true, ownerId: true, createdAt: true, updatedAt: true } as const;

function caller() {
  const auth = currentAuth();
  if (!auth) throw new MissingTenantContextError();
  return auth;
}

@Injectable()
export class ProjectsService {
  constructor(private readonly db: TenantDb) {}

  /** Newest first; keyset paging after the cursor row (none when the cursor is not a visible project). */
  async list(query: ListQuery) {
    const take = query.limit + 1;
    const rows = await this.db.query<ProjectRow>(
      query.cursor
        ? sql`SELECT id, name, description, owner_id AS "ownerId", created_at AS "createdAt", updated_at AS "updatedAt"
                FROM projects
               WHERE (created_at, id) < (SELECT created_at, id FROM projects WHERE id = ${query.cursor}::uuid)
               ORDER BY created_at DESC, id DESC LIMIT ${take}`
        : sql`SELECT id, name, description, owner_id AS "ownerId", created_at AS "createdAt", updated_at AS "updatedAt"
                FROM projects
               ORDER BY created_at DESC, id DESC LIMIT ${take}`,
    );
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
  }

  get(projectId: string) {
    return this.db.autocommit(
      async (tx) => (await tx.project.findFirst({ where: { id: projectId }, select: projectFields })) ?? Promise.reject(projectNotFound()),
    );
  }

  /**
   * One parameterised `INSERT … RETURNING`, sent with the tenant settings in the same
   * round trip (one implicit transaction, like the list): atomic on its own, and the
   * policy's WITH CHECK still decides whether this tenant, user and role may write
   * the row. Tagged SQL rather than Prisma's create: the write path is every client's
   * second call, and Prisma's query pipeline was most of its cost. Inside a `run`,
   * it joins that transaction.
   */
  async create(input: CreateProject): Promise<ProjectRow> {
    const auth = caller();
    const rows = await this.db
      .query<ProjectRow>(
        sql`INSERT INTO projects (tenant_id, owner_id, name, description)
            VALUES (${auth.tenantId}::uuid, ${auth.userId}::uuid, ${input.name}, ${input.description ?? null})
            RETURNING id, name, description, owner_id AS "ownerId", created_at AS "createdAt", updated_at AS "updatedAt"`,
      )
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw projectNameTaken();
        if (isRowLevelSecurityViolation(error)) throw notOwner();
        throw error;
      });
    const created = rows[0];
    if (!created) throw new Error('INSERT … RETURNING returned no row');
    return created;
  }

  update(projectId: string, input: UpdateProject) {
    return this.db
      .run(async (tx) => {
        const { count } = await tx.project.updateMany({ where: { id: projectId }, data: input });
        if (count === 0) await this.explainNoChange(tx, projectId);
        return tx.project.findFirstOrThrow({ where: { id: projectId }, select: projectFields });
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw projectNameTaken();
        throw error;
      });
  }

  remove(projectId: string) {
    return this.db.run(async (tx) => {
      const { count } = await tx.project.deleteMany({ where: { id: projectId } });
      if (count === 0) await this.explainNoChange(tx, projectId);
    });
  }

  listTasks(projectId: string) {
    return this.db.autocommit(async (tx) => {
      await this.requireProject(tx, projectId);
      return tx.task.findMany({ where: { projectId }, select: taskFields, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    });
  }

  createTask(projectId: string, input: CreateTask) {
    const auth = caller();
    return this.db
      .run(async (tx) => {
        await this.requireProject(tx, projectId);
        return tx.task.create({
          data: { tenantId: auth.tenantId, projectId, ownerId: auth.userId, title: input.title },
          select: taskFields,
        });
      })
      .catch((error: unknown) => {
        if (isRowLevelSecurityViolation(error)) throw notOwner();
        throw error;
      });
  }

  updateTask(projectId: string, taskId: string, input: UpdateTask) {
    return this.db.run(async (tx) => {
      const { count } = await tx.task.updateMany({ where: { id: taskId, projectId }, data: input });
      if (count === 0) await this.explainNoTaskChange(tx, projectId, taskId);
      return tx.task.findFirstOrThrow({ where: { id: taskId, projectId }, select: taskFields });
    });
  }

  removeTask(projectId: string, taskId: string) {
    return this.db.run(async (tx) => {
      const { count } = await tx.task.deleteMany({ where: { id: taskId, projectId } });
      if (count === 0) await this.explainNoTaskChange(tx, projectId, taskId);
    });
  }

  private async requireProject(tx: TransactionClient, projectId: string): Promise<void> {
    if ((await tx.project.count({ where: { id: projectId } })) === 0) throw projectNotFound();
  }

  private async explainNoChange(tx: TransactionClient, projectId: string): Promise<never> {
    await this.requireProject(tx, projectId);
    throw notOwner();
  }

  private async explainNoTaskChange(tx: TransactionClient, projectId: string, taskId: string): Promise<never> {
    await this.requireProject(tx, projectId);
    if ((await tx.task.count({ where: { id: taskId, projectId } })) === 0) throw taskNotFound();
    throw notOwner();
  }
}
