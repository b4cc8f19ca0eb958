import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodBody, ApiZodQuery, ZodParamPipe, ZodValidationPipe } from '../common/zod-validation.js';
import {
  type CreateProject,
  type CreateTask,
  type ListQuery,
  type UpdateProject,
  type UpdateTask,
  createProjectSchema,
  createTaskSchema,
  idParamSchema,
  listQuerySchema,
  pageSchema,
  projectSchema,
  taskSchema,
  updateProjectSchema,
  updateTaskSchema,
} from './dto/project.dto.js';
import { ProjectsService } from './projects.service.js';

const projectId = new ZodParamPipe('projectId', idParamSchema);
const taskId = new ZodParamPipe('taskId', idParamSchema);
const WRITERS = ['admin', 'member'] as const;

/**
 * The sample tenant-owned domain: projects and their tasks. Any role of the
 * tenant reads; admins and members write; members change only what they own
 * (Postgres enforces it; the 403 explains it).
 */
@ApiTags('projects')
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @Authenticated()
  @ApiOperation({ operationId: 'listProjects', summary: "List the tenant's projects, newest first" })
  @ApiZodQuery(listQuerySchema)
  @ApiZodResponse(200, 'ProjectPage', pageSchema(projectSchema))
  list(@Query(new ZodValidationPipe(listQuerySchema)) query: ListQuery) {
    return this.projects.list(query);
  }

  @Post()
  @Authenticated({ roles: WRITERS })
  @ApiOperation({ operationId: 'createProject', summary: 'Create a project owned by the caller' })
  @ApiZodBody(createProjectSchema)
  @ApiZodResponse(201, 'Project', projectSchema)
  @ApiProblemResponse(409, '`project_name_taken`')
  create(@Body(new ZodValidationPipe(createProjectSchema)) body: CreateProject) {
    return this.projects.create(body);
  }

  @Get(':projectId')
  @Authenticated()
  @ApiOperation({ operationId: 'getProject', summary: 'Get one project' })
  @ApiZodResponse(200, 'Project', projectSchema)
  @ApiProblemResponse(404, '`project_not_found` (also for other tenants’ ids)')
  get(@Param('projectId', projectId) id: string) {
    return this.projects.get(id);
  }

  @Patch(':projectId')
  @Authenticated({ roles: WRITERS })
  @ApiOperation({ operationId: 'updateProject', summary: 'Change a project (members: only their own)' })
  @ApiZodBody(updateProjectSchema)
  @ApiZodResponse(200, 'Project', projectSchema)
  @ApiProblemResponse(404, '`project_not_found`')
  update(@Param('projectId', projectId) id: string, @Body(new ZodValidationPipe(updateProjectSchema)) body: UpdateProject) {
    return this.projects.update(id, body);
  }

  @Delete(':projectId')
  @HttpCode(204)
  @Authenticated({ roles: WRITERS })
  @ApiOperation({ operationId: 'deleteProject', summary: 'Delete a project and its tasks (members: only their own)' })
  @ApiNoContentResponse()
  @ApiProblemResponse(404, '`project_not_found`')
  async remove(@Param('projectId', projectId) id: string): Promise<void> {
    await this.projects.remove(id);
  }

  @Get(':projectId/tasks')
  @Authenticated()
  @ApiOperation({ operationId: 'listTasks', summary: "List a project's tasks" })
  @ApiZodResponse(200, 'TaskList', taskSchema.array())
  listTasks(@Param('projectId', projectId) id: string) {
    return this.projects.listTasks(id);
  }

  @Post(':projectId/tasks')
  @Authenticated({ roles: WRITERS })
  @ApiOperation({ operationId: 'createTask', summary: 'Add a task owned by the caller' })
  @ApiZodBody(createTaskSchema)
  @ApiZodResponse(201, 'Task', taskSchema)
  createTask(@Param('projectId', projectId) id: string, @Body(new ZodValidationPipe(createTaskSchema)) body: CreateTask) {
    return this.projects.createTask(id, body);
  }

  @Patch(':projectId/tasks/:taskId')
  @Authenticated({ roles: WRITERS })
  @ApiOperation({ operationId: 'updateTask', summary: 'Change a task (members: only their own)' })
  @ApiZodBody(updateTaskSchema)
  @ApiZodResponse(200, 'Task', taskSchema)
  updateTask(
    @Param('projectId', projectId) id: string,
    @Param('taskId', taskId) task: string,
    @Body(new ZodValidationPipe(updateTaskSchema)) body: UpdateTask,
  ) {
    return this.projects.updateTask(id, task, body);
  }

  @Delete(':projectId/tasks/:taskId')
  @HttpCode(204)
  @Authenticated({ roles: WRITERS })
  @ApiOperation({ operationId: 'deleteTask', summary: 'Delete a task (members: only their own)' })
  @ApiNoContentResponse()
  async removeTask(@Param('projectId', projectId) id: string, @Param('taskId', taskId) task: string): Promise<void> {
    await this.projects.removeTask(id, task);
  }
}
