/**
 * Cognito quota headroom (issue 14 row 7): how much of the account's
 * user-pool quota (per region) and of the app-clients-per-pool quota (per
 * bridge tier's shared pool) this deployment uses, from the tenant registry,
 * without listing pools in Cognito. Provisioning fails with
 * `quota_exhausted` when a quota is hit; this report says how close that is.
 * Counts are this deployment's own: other deployments in the same account
 * and region use the same quotas (see infra/README.md).
 */
import { Controller, Get, Inject, Injectable } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type AppConfig, allowedSiloRegions } from '../config/config.schema.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';

/** From this share of a quota on, the report flags it (the operators' alarm threshold). */
export const QUOTA_WARNING_PERCENT = 80;

export interface QuotaUse {
  readonly used: number;
  readonly quota: number;
  readonly percentUsed: number;
  readonly warning: boolean;
}

const quotaUseSchema = z.object({ used: z.number().int(), quota: z.number().int(), percentUsed: z.number(), warning: z.boolean() });

/** The report's shape (the OpenAPI document's `CognitoCapacity`). */
export const cognitoCapacitySchema = z.object({
  siloRegions: z.array(z.string()).describe('Regions where silo tenants may get their own pool.'),
  userPools: z.array(z.object({ region: z.string() }).extend(quotaUseSchema.shape)),
  appClientsPerPool: z.array(z.object({ pool: z.string(), userPoolId: z.string() }).extend(quotaUseSchema.shape)),
});

export function quotaUse(used: number, quota: number): QuotaUse {
  const percentUsed = Math.round((used / quota) * 1000) / 10;
  return { used, quota, percentUsed, warning: percentUsed >= QUOTA_WARNING_PERCENT };
}

@Injectable()
export class CognitoCapacityService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
  ) {}

  async report(): Promise<z.infer<typeof cognitoCapacitySchema>> {
    const siloRegions = allowedSiloRegions(this.config.env);
    const [siloByRegion, dedicatedClients] = await Promise.all([
      this.privileged.client.tenant.groupBy({
        by: ['region'],
        where: { isolationModel: 'silo', status: { not: 'deleted' } },
        _count: { _all: true },
      }),
      this.privileged.client.tenantAppClient.groupBy({ by: ['userPoolId'], where: { dedicated: true }, _count: { _all: true } }),
    ]);
    const sharedPools = [...this.config.sharedPools.values()];
    const regions = [...new Set([...siloRegions, ...sharedPools.map((pool) => pool.region), ...siloByRegion.map((row) => row.region)])].sort();
    const userPools = regions.map((region) => ({
      region,
      ...quotaUse(
        sharedPools.filter((pool) => pool.region === region).length + (siloByRegion.find((row) => row.region === region)?._count._all ?? 0),
        this.config.env.COGNITO_USER_POOL_QUOTA,
      ),
    }));
    const appClientsPerPool = sharedPools.map((pool) => ({
      pool: pool.key,
      userPoolId: pool.userPoolId,
      ...quotaUse(
        (pool.clientId ? 1 : 0) + (dedicatedClients.find((row) => row.userPoolId === pool.userPoolId)?._count._all ?? 0),
        this.config.env.COGNITO_APP_CLIENTS_PER_POOL_QUOTA,
      ),
    }));
    return { siloRegions: [...siloRegions], userPools, appClientsPerPool };
  }
}

@ApiTags('admin: tenants')
@Controller('v1/admin/cognito')
export class CognitoCapacityController {
  constructor(private readonly capacity: CognitoCapacityService) {}

  @Get('capacity')
  @Authenticated({ roles: ['platform-admin'] })
  @ApiOperation({
    operationId: 'getCognitoCapacity',
    summary: 'Cognito quota headroom and the regions silo tenants may use',
    description: `User pools per region and app clients per shared pool against the account quotas (COGNITO_USER_POOL_QUOTA, COGNITO_APP_CLIENTS_PER_POOL_QUOTA); \`warning\` from ${QUOTA_WARNING_PERCENT} %.`,
  })
  @ApiZodResponse(200, 'CognitoCapacity', cognitoCapacitySchema)
  capacityReport() {
    return this.capacity.report();
  }
}
