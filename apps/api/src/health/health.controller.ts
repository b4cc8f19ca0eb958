import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { Public } from '../auth/access.decorators.js';

export const livenessSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({ status: z.literal('ok'), checks: z.object({ database: z.literal('ok') }) });

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly prisma: PrismaService) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: the process is serving requests' })
  @ApiZodResponse(200, 'Liveness', livenessSchema)
  live(): z.infer<typeof livenessSchema> {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness: the database answers' })
  @ApiZodResponse(200, 'Readiness', readinessSchema)
  @ApiProblemResponse(503, '`dependency_unavailable`: the database is not reachable')
  async ready(): Promise<z.infer<typeof readinessSchema>> {
    try {
      await this.prisma.ping();
    } catch {
      throw new ServiceUnavailableError('dependency_unavailable', 'The database is not reachable.', 5);
    }
    return { status: 'ok', checks: { database: 'ok' } };
  }
}
