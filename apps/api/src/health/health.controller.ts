import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { Public } from '../auth/access.decorators.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly prisma: PrismaService) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is serving requests' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok', checks: { database: 'ok' } } } })
  @ApiServiceUnavailableResponse({ description: 'problem+json `dependency_unavailable`' })
  async ready(): Promise<{ status: 'ok'; checks: { database: 'ok' } }> {
    try {
      await this.prisma.ping();
    } catch {
      throw new ServiceUnavailableError('dependency_unavailable', 'The database is not reachable.', 5);
    }
    return { status: 'ok', checks: { database: 'ok' } };
  }
}
