import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodBody, ApiZodQuery, ZodParamPipe, ZodValidationPipe } from '../common/zod-validation.js';
import {
  type ChangeRole,
  type InviteUser,
  type ListUsersQuery,
  changeRoleSchema,
  idParamSchema,
  inviteUserSchema,
  listUsersQuerySchema,
  userPageSchema,
  userSchema,
} from './dto/user.dto.js';
import { UsersService } from './users.service.js';

const userId = new ZodParamPipe('userId', idParamSchema);
const ADMINS = { roles: ['admin'] } as const;
const NOT_FOUND = '`user_not_found` (also for other tenants’ users)';
const SELF = '`cannot_change_own_account`, or `last_admin` when the change would leave the tenant without an active admin (also when two admins act on each other at once)';

/** A tenant admin's user management, inside the caller's own tenant only. */
@ApiTags('users')
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'inviteUser', summary: 'Invite a user: Cognito e-mails a temporary password; the user is `pending` until the first sign-in' })
  @ApiZodBody(inviteUserSchema)
  @ApiZodResponse(201, 'User', userSchema)
  @ApiProblemResponse(409, '`user_exists`')
  invite(@Body(new ZodValidationPipe(inviteUserSchema)) body: InviteUser) {
    return this.users.invite(body);
  }

  @Get()
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'listUsers', summary: "List the tenant's users, newest first (filter by role, status, e-mail)" })
  @ApiZodQuery(listUsersQuerySchema)
  @ApiZodResponse(200, 'UserPage', userPageSchema)
  list(@Query(new ZodValidationPipe(listUsersQuerySchema)) query: ListUsersQuery) {
    return this.users.list(query);
  }

  @Get(':userId')
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'getUser', summary: 'Get one user' })
  @ApiZodResponse(200, 'User', userSchema)
  @ApiProblemResponse(404, NOT_FOUND)
  get(@Param('userId', userId) id: string) {
    return this.users.get(id);
  }

  @Patch(':userId')
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'changeUserRole', summary: "Change a user's role (Gatehouse's record and the Cognito group; effective on the user's next request)" })
  @ApiZodBody(changeRoleSchema)
  @ApiZodResponse(200, 'User', userSchema)
  @ApiProblemResponse(404, NOT_FOUND)
  @ApiProblemResponse(409, SELF)
  changeRole(@Param('userId', userId) id: string, @Body(new ZodValidationPipe(changeRoleSchema)) body: ChangeRole) {
    return this.users.changeRole(id, body.role);
  }

  @Post(':userId/disable')
  @HttpCode(200)
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'disableUser', summary: 'Disable a user: their tokens are refused from the next request; Cognito disables them and signs them out where supported' })
  @ApiZodResponse(200, 'User', userSchema)
  @ApiProblemResponse(404, NOT_FOUND)
  @ApiProblemResponse(409, SELF)
  disable(@Param('userId', userId) id: string) {
    return this.users.setEnabled(id, false);
  }

  @Post(':userId/enable')
  @HttpCode(200)
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'enableUser', summary: 'Enable a disabled user again' })
  @ApiZodResponse(200, 'User', userSchema)
  @ApiProblemResponse(404, NOT_FOUND)
  enable(@Param('userId', userId) id: string) {
    return this.users.setEnabled(id, true);
  }

  @Delete(':userId')
  @HttpCode(204)
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'deleteUser', summary: 'Remove a user from the tenant and from Cognito (their projects and tasks go with them)' })
  @ApiNoContentResponse()
  @ApiProblemResponse(404, NOT_FOUND)
  @ApiProblemResponse(409, SELF)
  async remove(@Param('userId', userId) id: string): Promise<void> {
    await this.users.remove(id);
  }

  @Post(':userId/mfa/reset')
  @HttpCode(200)
  @Authenticated(ADMINS)
  @ApiOperation({
    operationId: 'resetUserMfa',
    summary: "Reset a user's MFA (e.g. a lost phone): TOTP is turned off; where the tenant requires MFA they set it up again at their next sign-in",
  })
  @ApiZodResponse(200, 'User', userSchema)
  @ApiProblemResponse(404, NOT_FOUND)
  @ApiProblemResponse(409, `${SELF}; \`mfa_managed_by_identity_provider\` for users of the tenant's own IdP`)
  resetMfa(@Param('userId', userId) id: string) {
    return this.users.resetMfa(id);
  }
}
