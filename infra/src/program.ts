/**
 * The whole Gatehouse stack, wired from validated settings. `index.ts` reads
 * the Pulumi configuration and the account facts and calls this; the spec
 * calls it under mocks.
 */
import * as pulumi from '@pulumi/pulumi';
import { API_PORT, type ApiConfigMapKey } from './api-environment.js';
import { ApiServiceRole } from './components/api-service-role.js';
import { ApiWorkload } from './components/api-workload.js';
import { Cluster } from './components/cluster.js';
import { Database } from './components/database.js';
import { IngressController } from './components/ingress-controller.js';
import { Network } from './components/network.js';
import { TierUserPools } from './components/tier-user-pools.js';
import type { StackSettings } from './settings.js';

export const API_NAMESPACE = 'gatehouse';
export const API_SERVICE_ACCOUNT = 'gatehouse-api';

export interface GatehouseProgramArgs {
  readonly settings: StackSettings;
  readonly region: string;
  readonly accountId: string;
  /** The region's available zones; the first `settings.availabilityZoneCount` are used. */
  readonly availabilityZones: readonly string[];
}

export interface GatehouseOutputs {
  readonly poolIds: pulumi.Output<Record<string, string>>;
  readonly issuers: pulumi.Output<Record<string, string>>;
  readonly clientIds: pulumi.Output<Record<string, string>>;
  readonly sharedPools: pulumi.Output<string>;
  readonly apiUrl: pulumi.Output<string>;
  readonly databaseEndpoint: pulumi.Output<string>;
  readonly databaseSecretArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly apiRoleArn: pulumi.Output<string>;
  readonly migrationJob: pulumi.Output<string>;
}

/** The API's ConfigMap in AWS. */
export function apiConfigMapData(
  settings: StackSettings,
  region: string,
  sharedPoolsJson: pulumi.Input<string>,
): Record<ApiConfigMapKey, pulumi.Input<string>> {
  return {
    NODE_ENV: 'production',
    PORT: String(API_PORT),
    HOST: '0.0.0.0',
    LOG_LEVEL: settings.environment.logLevel,
    GATEHOUSE_MODE: 'aws',
    AWS_REGION: region,
    GATEHOUSE_DEPLOYMENT: settings.deployment,
    GATEHOUSE_TIERS: JSON.stringify(settings.tiers),
    GATEHOUSE_SHARED_POOLS: sharedPoolsJson,
    TOKEN_CLOCK_SKEW_SECONDS: String(settings.api.tokenClockSkewSeconds),
    PUBLIC_BASE_DOMAIN: settings.publicBaseDomain,
    // Behind ingress-nginx: client addresses come from X-Forwarded-For.
    TRUST_PROXY: 'true',
    // Shorter than the pod's 30 s grace period, after the 5 s preStop pause.
    SHUTDOWN_GRACE_MS: '20000',
  };
}

export function createGatehouse(args: GatehouseProgramArgs): GatehouseOutputs {
  const { settings } = args;
  const tags = {
    'gatehouse:deployment': settings.deployment,
    'gatehouse:stack': settings.environment.stack,
    'managed-by': 'pulumi',
  };

  const pools = new TierUserPools('pools', {
    tiers: settings.tiers,
    deployment: settings.deployment,
    region: args.region,
    domainPrefix: settings.cognitoDomainPrefix,
    ...(settings.hostedUi ? { hostedUi: settings.hostedUi } : {}),
    tags,
  });

  const network = new Network('network', {
    cidrBlock: settings.vpcCidr,
    availabilityZones: args.availabilityZones.slice(0, settings.availabilityZoneCount),
    natGateways: settings.environment.natGateways,
    clusterName: settings.deployment,
    tags,
  });

  const cluster = new Cluster('cluster', {
    clusterName: settings.deployment,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    kubernetesVersion: settings.kubernetesVersion,
    nodeGroup: settings.nodeGroup,
    publicAccessCidrs: settings.clusterPublicAccessCidrs,
    deletionProtection: settings.environment.deletionProtection,
    isProduction: settings.environment.isProduction,
    tags,
  });

  const database = new Database('database', {
    vpcId: network.vpcId,
    subnetIds: network.databaseSubnetIds,
    clientSecurityGroupId: cluster.nodeSecurityGroupId,
    instanceClass: settings.database.instanceClass,
    engineVersion: settings.database.engineVersion,
    allocatedStorageGb: settings.database.allocatedStorageGb,
    ...(settings.database.maxAllocatedStorageGb === undefined
      ? {}
      : { maxAllocatedStorageGb: settings.database.maxAllocatedStorageGb }),
    databaseName: settings.database.databaseName,
    multiAz: settings.database.multiAz,
    deletionProtection: settings.database.deletionProtection,
    backupRetentionDays: settings.database.backupRetentionDays,
    skipFinalSnapshot: settings.database.skipFinalSnapshot,
    tags,
  });

  const apiRole = new ApiServiceRole('api', {
    oidcProviderArn: cluster.oidcProviderArn,
    oidcIssuer: cluster.oidcIssuer,
    namespace: API_NAMESPACE,
    serviceAccountName: API_SERVICE_ACCOUNT,
    region: args.region,
    additionalSiloRegions: settings.siloRegions.filter((region) => region !== args.region),
    accountId: args.accountId,
    sharedPoolArns: pools.poolArns,
    tags,
  });

  const kubernetes = { providers: [cluster.provider] };
  const ingress = new IngressController(
    'ingress',
    {
      namespace: settings.ingress.controllerNamespace,
      className: settings.ingress.className,
      ...(settings.ingress.certificateArn ? { certificateArn: settings.ingress.certificateArn } : {}),
      replicas: settings.environment.isProduction ? 2 : 1,
    },
    kubernetes,
  );

  const api = new ApiWorkload(
    'api',
    {
      namespace: API_NAMESPACE,
      serviceAccountName: API_SERVICE_ACCOUNT,
      serviceAccountRoleArn: apiRole.roleArn,
      image: settings.apiImage,
      imageTag: settings.apiImageTag,
      host: settings.apiHost,
      ingressClassName: settings.ingress.className,
      ingressControllerNamespace: settings.ingress.controllerNamespace,
      config: apiConfigMapData(settings, args.region, pools.sharedPoolsJson),
      secrets: {
        DATABASE_URL: database.urls.app,
        DATABASE_PRIVILEGED_URL: database.urls.privileged,
      },
      migrationSecrets: {
        DATABASE_ADMIN_URL: database.urls.admin,
        DATABASE_MIGRATION_URL: database.urls.owner,
        DATABASE_URL: database.urls.app,
        DATABASE_PRIVILEGED_URL: database.urls.privileged,
      },
      databaseCidrs: network.databaseSubnetCidrs,
      replicas: { min: settings.api.minReplicas, max: settings.api.maxReplicas },
      resources: {
        cpuRequest: settings.api.cpuRequest,
        cpuLimit: settings.api.cpuLimit,
        memoryRequest: settings.api.memoryRequest,
        memoryLimit: settings.api.memoryLimit,
      },
    },
    { ...kubernetes, dependsOn: [ingress] },
  );

  return {
    poolIds: pools.poolIds,
    issuers: pools.issuers,
    clientIds: pools.clientIds,
    sharedPools: pools.sharedPoolsJson,
    apiUrl: api.url,
    databaseEndpoint: database.endpoint,
    databaseSecretArn: database.secretArn,
    clusterName: cluster.clusterName,
    kubeconfig: cluster.kubeconfig,
    apiRoleArn: apiRole.roleArn,
    migrationJob: api.migrationJobName,
  };
}
