/**
 * The whole Gatehouse stack, wired from validated settings. `index.ts` reads
 * the Pulumi configuration and the account facts and calls this; the spec
 * calls it under mocks.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { API_PORT, API_TLS_CERT_FILE, API_TLS_KEY_FILE, type ApiConfigMapKey } from './api-environment.js';
import { OPERATORS_POOL_KEY } from '@gatehouse/tiers';
import { ApiServiceRole } from './components/api-service-role.js';
import { ApiWorkload } from './components/api-workload.js';
import { Cluster } from './components/cluster.js';
import { CognitoEventsTrigger } from './components/cognito-events-trigger.js';
import { UserMigrationTrigger } from './components/user-migration-trigger.js';
import { CognitoTriggers } from './components/cognito-triggers.js';
import { CognitoTokenExchangeTriggers } from './components/cognito-token-exchange-triggers.js';
import { Database } from './components/database.js';
import { Edge } from './components/edge.js';
import { ChallengeHandleKeys } from './components/challenge-handle-keys.js';
import { ExternalSecretsOperator, SecretsReaderRole } from './components/external-secrets.js';
import { Karpenter } from './components/karpenter.js';
import { Keys } from './components/keys.js';
import { COGNITO_CAPACITY_NAMESPACE, Monitoring } from './components/monitoring.js';
import { Network } from './components/network.js';
import { Ses, emailSendingFor } from './components/ses.js';
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
  readonly webAclArn: pulumi.Output<string>;
  /** Point the API host's DNS record (alias/CNAME) here. */
  readonly loadBalancerDnsName: pulumi.Output<string>;
  readonly alarmTopicArn: pulumi.Output<string>;
  /** Per region, the DKIM tokens to publish as CNAMEs for the SES identity. */
  readonly sesDkimTokens: pulumi.Output<Record<string, string[]>>;
  /** The Kubernetes version of the cluster (the rendered-manifest check validates against its schemas). */
  readonly kubernetesVersion: string;
}

/** The API's ConfigMap in AWS. */
export function apiConfigMapData(
  settings: StackSettings,
  region: string,
  sharedPoolsJson: pulumi.Input<string>,
  /** The ALB's subnets: the only addresses whose X-Forwarded-For the API believes. */
  trustedProxyCidrs: readonly string[],
  accountId: string,
  cognitoTriggersJson: pulumi.Input<string>,
): Record<ApiConfigMapKey, pulumi.Input<string>> {
  const siloRegions = [...new Set([region, ...settings.siloRegions])];
  const email = settings.email;
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
    // Per region, the trigger functions the silo pools created there call (the stack's region: the
    // shared pools' own); Cognito invokes triggers only in the pool's region.
    GATEHOUSE_COGNITO_TRIGGERS: cognitoTriggersJson,
    TOKEN_CLOCK_SKEW_SECONDS: String(settings.api.tokenClockSkewSeconds),
    PUBLIC_BASE_DOMAIN: settings.publicBaseDomain,
    // Behind the ALB (IP targets): the client address is the last X-Forwarded-For entry the ALB
    // appended, believed only when the connection comes from the ALB's subnets. (TRUST_PROXY=true,
    // which believed every peer, is gone: the API refuses it.)
    TRUSTED_PROXY_CIDRS: trustedProxyCidrs.join(','),
    // Where silo tenants' pools may be created: the stack's region first, then the extra ones.
    SILO_REGIONS: siloRegions.join(','),
    // Per region, the SES sending of silo pools (empty until the identity is verified and useSes is on).
    COGNITO_EMAIL: JSON.stringify(
      email?.useSes ? Object.fromEntries(siloRegions.map((r) => [r, emailSendingFor({ ...email, deployment: settings.deployment, accountId }, r)])) : {},
    ),
    // Shorter than the pod's 30 s grace period, after the 5 s preStop pause.
    SHUTDOWN_GRACE_MS: '20000',
    // Production states these rather than inheriting defaults: no Swagger UI on the public listener,
    // Cognito calls bounded well inside the ALB's idle timeout, provisioning leases outliving a pod restart.
    OPENAPI_DOCS_ENABLED: 'false',
    COGNITO_CONNECT_TIMEOUT_MS: '2000',
    COGNITO_REQUEST_TIMEOUT_MS: '3000',
    COGNITO_DEADLINE_MS: '6000',
    PROVISIONING_LEASE_MS: '60000',
    PROVISIONING_SWEEP_INTERVAL_MS: '30000',
    // Quota headroom to CloudWatch for the 80 % alarms (monitoring.ts); the IAM role may write only here.
    COGNITO_CAPACITY_METRICS_NAMESPACE: COGNITO_CAPACITY_NAMESPACE,
    // The ALB → pod hop is TLS as well (row 2): the pod serves the cert-manager certificate mounted here.
    TLS_CERT_FILE: API_TLS_CERT_FILE,
    TLS_KEY_FILE: API_TLS_KEY_FILE,
    // Browser front ends on other origins (tenants' own hosts are allowed by the API on top).
    CORS_ALLOWED_ORIGINS: settings.api.corsAllowedOrigins.join(','),
    TIER_MOVE_SOURCE_GRACE_MS: String(settings.api.tierMoveSourceGraceMs),
    AUDIT_RETENTION_DAYS: String(settings.api.auditRetentionDays),
  };
}

export function createGatehouse(args: GatehouseProgramArgs): GatehouseOutputs {
  const { settings } = args;
  const tags = {
    'gatehouse:deployment': settings.deployment,
    'gatehouse:stack': settings.environment.stack,
    'managed-by': 'pulumi',
  };

  const email = settings.email;
  const ses = email
    ? new Ses('ses', {
        deployment: settings.deployment,
        accountId: args.accountId,
        regions: [args.region, ...settings.siloRegions],
        stackRegion: args.region,
        domain: email.domain,
        fromLocalPart: email.fromLocalPart,
        ...(email.replyToAddress ? { replyToAddress: email.replyToAddress } : {}),
        tags,
      })
    : undefined;
  const keys = new Keys('keys', { deployment: settings.deployment, isProduction: settings.environment.isProduction, tags });
  const triggers = new CognitoTriggers('cognito-triggers', {
    deployment: settings.deployment,
    region: args.region,
    accountId: args.accountId,
    logRetentionDays: settings.environment.logRetentionDays,
    tags,
  });
  // Post confirmation + post authentication: sign-ins at Cognito directly reach Gatehouse's events.
  const cognitoEvents = new CognitoEventsTrigger('cognito-events', {
    deployment: settings.deployment,
    region: args.region,
    accountId: args.accountId,
    apiHost: settings.apiHost,
    kmsKeyArn: keys.arns['secrets-manager'],
    deletionProtection: settings.environment.deletionProtection,
    logRetentionDays: settings.environment.logRetentionDays,
    tags,
  });
  // A tier move's deferred users signing in at a target pool directly (README "Moving a tenant between tiers").
  const userMigration = new UserMigrationTrigger('user-migration', {
    deployment: settings.deployment,
    region: args.region,
    accountId: args.accountId,
    apiHost: settings.apiHost,
    eventsSecret: cognitoEvents.secretValue,
    logRetentionDays: settings.environment.logRetentionDays,
    tags,
  });
  // The tier-move token exchange (custom auth at refresh after cut-over); stack region only, like post-events.
  const tokenExchange = new CognitoTokenExchangeTriggers('cognito-token-exchange', {
    deployment: settings.deployment,
    region: args.region,
    accountId: args.accountId,
    kmsKeyArn: keys.arns['secrets-manager'],
    deletionProtection: settings.environment.deletionProtection,
    logRetentionDays: settings.environment.logRetentionDays,
    tags,
  });
  const tokenExchangeArns = {
    defineAuthChallenge: tokenExchange.defineAuthChallengeArn,
    createAuthChallenge: tokenExchange.createAuthChallengeArn,
    verifyAuthChallengeResponse: tokenExchange.verifyAuthChallengeResponseArn,
  };
  // Silo pools in the other allowed regions need the same functions in their region (row 7).
  const siloRegionTriggers = [...new Set(settings.siloRegions)]
    .filter((region) => region !== args.region)
    .map((region) => {
      const provider = new aws.Provider(`aws-${region}`, { region });
      const regional = new CognitoTriggers(
        `cognito-triggers-${region}`,
        { deployment: settings.deployment, region, accountId: args.accountId, logRetentionDays: settings.environment.logRetentionDays, tags },
        { providers: { aws: provider } },
      );
      return [region, regional] as const;
    });
  // The API wires the same functions to the silo pools it creates. The post-events, user-migration and
  // token-exchange functions exist in the stack's region only: silo pools elsewhere report no direct sign-ins,
  // migrate no users at direct sign-ins and keep a moved tenant's refresh at the source (README).
  const triggersByRegionJson = pulumi
    .all([
      pulumi.all([args.region, triggers.preSignUpArn, triggers.preTokenGenerationArn, cognitoEvents.functionArn, userMigration.functionArn, pulumi.all(tokenExchangeArns)]),
      ...siloRegionTriggers.map(([region, component]) =>
        pulumi.all([
          region,
          component.preSignUpArn,
          component.preTokenGenerationArn,
          pulumi.output<string | undefined>(undefined),
          pulumi.output<string | undefined>(undefined),
          pulumi.output<Record<string, string> | undefined>(undefined),
        ]),
      ),
    ])
    .apply((entries) =>
      JSON.stringify(
        Object.fromEntries(
          entries.map(
            ([region, preSignUp, preTokenGeneration, postEvents, userMigrationArn, exchange]: readonly [
              string,
              string,
              string,
              string | undefined,
              string | undefined,
              Record<string, string> | undefined,
            ]) => [
              region,
              {
                preSignUp,
                preTokenGeneration,
                ...(postEvents ? { postEvents } : {}),
                ...(userMigrationArn ? { userMigration: userMigrationArn } : {}),
                ...(exchange ?? {}),
              },
            ],
          ),
        ),
      ),
    );

  const pools = new TierUserPools(
    'pools',
    {
      tiers: settings.tiers,
      triggers: {
        preSignUp: triggers.preSignUpArn,
        preTokenGeneration: triggers.preTokenGenerationArn,
        postEvents: cognitoEvents.functionArn,
        userMigration: userMigration.functionArn,
        ...tokenExchangeArns,
      },
      deployment: settings.deployment,
      region: args.region,
      domainPrefix: settings.cognitoDomainPrefix,
      ...(settings.hostedUi ? { hostedUi: settings.hostedUi } : {}),
      ...(email?.useSes ? { email: emailSendingFor({ ...email, deployment: settings.deployment, accountId: args.accountId }, args.region) } : {}),
      tags,
    },
    ses ? { dependsOn: [ses] } : {},
  );


  const network = new Network('network', {
    cidrBlock: settings.vpcCidr,
    availabilityZones: args.availabilityZones.slice(0, settings.availabilityZoneCount),
    natGateways: settings.environment.natGateways,
    clusterName: settings.deployment,
    region: args.region,
    flowLogRetentionDays: settings.environment.logRetentionDays,
    tags,
  });
  const zones = args.availabilityZones.slice(0, settings.availabilityZoneCount);

  const cluster = new Cluster('cluster', {
    clusterName: settings.deployment,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    kubernetesVersion: settings.kubernetesVersion,
    nodeGroup: settings.nodeGroup,
    publicAccessCidrs: settings.clusterPublicAccessCidrs,
    deletionProtection: settings.environment.deletionProtection,
    secretsKmsKeyArn: keys.arns['eks-secrets'],
    logRetentionDays: settings.environment.logRetentionDays,
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
    deployment: settings.deployment,
    storageKmsKeyArn: keys.arns.rds,
    secretsKmsKeyArn: keys.arns['secrets-manager'],
    credentialsVersion: settings.database.credentialsVersion,
    tags,
  });

  const operatorsPool = pools.pools[OPERATORS_POOL_KEY];
  if (!operatorsPool) throw new Error('the tier pools must include the operators pool');
  const tierPoolArns = pulumi.all(
    Object.values(pools.pools)
      .filter((pool) => pool.key !== OPERATORS_POOL_KEY)
      .map((pool) => pool.userPool.arn),
  );
  const apiRole = new ApiServiceRole('api', {
    oidcProviderArn: cluster.oidcProviderArn,
    oidcIssuer: cluster.oidcIssuer,
    namespace: API_NAMESPACE,
    serviceAccountName: API_SERVICE_ACCOUNT,
    region: args.region,
    additionalSiloRegions: settings.siloRegions.filter((region) => region !== args.region),
    accountId: args.accountId,
    deployment: settings.deployment,
    sharedPoolArns: tierPoolArns,
    operatorsPoolArn: operatorsPool.userPool.arn,
    capacityMetricsNamespace: COGNITO_CAPACITY_NAMESPACE,
    tags,
  });

  const handleKeys = new ChallengeHandleKeys('challenge-handle-keys', {
    deployment: settings.deployment,
    keyIds: settings.api.challengeHandleKeyIds,
    kmsKeyArn: keys.arns['secrets-manager'],
    deletionProtection: settings.database.deletionProtection,
    tags,
  });

  const secretsReader = new SecretsReaderRole('api-secrets', {
    oidcProviderArn: cluster.oidcProviderArn,
    oidcIssuer: cluster.oidcIssuer,
    namespace: API_NAMESPACE,
    region: args.region,
    secretArns: pulumi.all([database.masterSecretArn, ...Object.values(database.roleSecretArns), ...Object.values(handleKeys.secretArns), cognitoEvents.secretArn, tokenExchange.secretArn]),
    kmsKeyArn: keys.arns['secrets-manager'],
    tags,
  });

  const kubernetes = { providers: [cluster.provider] };
  const controllerReplicas = settings.environment.isProduction ? 2 : 1;
  new Karpenter(
    'karpenter',
    {
      clusterName: settings.deployment,
      region: args.region,
      accountId: args.accountId,
      oidcProviderArn: cluster.oidcProviderArn,
      oidcIssuer: cluster.oidcIssuer,
      availabilityZones: zones,
      instanceCategories: ['c', 'm', 'r'],
      diskSizeGb: settings.nodeGroup.diskSizeGb,
      cpuLimit: settings.api.maxReplicas * 4 + 16,
      replicas: controllerReplicas,
      tags,
    },
    kubernetes,
  );
  const externalSecrets = new ExternalSecretsOperator('external-secrets', { replicas: controllerReplicas }, kubernetes);
  const edge = new Edge(
    'edge',
    {
      name: settings.deployment,
      clusterName: cluster.clusterName,
      region: args.region,
      vpcId: network.vpcId,
      vpcCidr: settings.vpcCidr,
      publicSubnetIds: network.publicSubnetIds,
      podSecurityGroupId: cluster.nodeSecurityGroupId,
      oidcProviderArn: cluster.oidcProviderArn,
      oidcIssuer: cluster.oidcIssuer,
      host: settings.apiHost,
      ...(settings.ingress.certificateArn ? { certificateArn: settings.ingress.certificateArn } : {}),
      rateLimitPer5Minutes: settings.ingress.wafRateLimitPer5Minutes,
      deletionProtection: settings.environment.deletionProtection,
      replicas: controllerReplicas,
      tags,
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
      imageDigest: settings.apiImageDigest,
      host: settings.apiHost,
      targetGroupArn: edge.targetGroupArn,
      loadBalancerCidrs: network.publicSubnetCidrs,
      config: apiConfigMapData(settings, args.region, pools.sharedPoolsJson, network.publicSubnetCidrs, args.accountId, triggersByRegionJson),
      databaseCredentials: {
        host: database.endpoint,
        port: database.port,
        databaseName: settings.database.databaseName,
        region: args.region,
        masterSecretArn: database.masterSecretArn,
        roleSecretArns: database.roleSecretArns,
        readerRoleArn: secretsReader.roleArn,
        version: settings.database.credentialsVersion,
      },
      challengeHandleKeys: { keyIds: handleKeys.keyIds, secretArns: handleKeys.secretArns },
      cognitoEventsSecretArn: cognitoEvents.secretArn,
      tokenExchangeKeySecretArn: tokenExchange.secretArn,
      databaseCidrs: network.databaseSubnetCidrs,
      replicas: { min: settings.api.minReplicas, max: settings.api.maxReplicas },
      resources: {
        cpuRequest: settings.api.cpuRequest,
        cpuLimit: settings.api.cpuLimit,
        memoryRequest: settings.api.memoryRequest,
        memoryLimit: settings.api.memoryLimit,
      },
    },
    { ...kubernetes, dependsOn: [externalSecrets, edge, cluster.certManager] },
  );

  const monitoring = new Monitoring(
    'monitoring',
    {
      deployment: settings.deployment,
      region: args.region,
      clusterName: settings.deployment,
      databaseInstanceId: database.instance.identifier,
      databaseAllocatedStorageGb: settings.database.allocatedStorageGb,
      webAclName: edge.webAclName,
      cognitoCapacity: { regions: [args.region, ...settings.siloRegions], sharedPools: Object.keys(pools.pools) },
      loadBalancerArnSuffix: edge.loadBalancerArnSuffix,
      targetGroupArnSuffix: edge.targetGroupArnSuffix,
      oidcProviderArn: cluster.oidcProviderArn,
      oidcIssuer: cluster.oidcIssuer,
      logRetentionDays: settings.environment.logRetentionDays,
      ...(settings.alarms.email ? { alarmEmail: settings.alarms.email } : {}),
      tags,
    },
    { dependsOn: [cluster] },
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
    webAclArn: edge.webAclArn,
    loadBalancerDnsName: edge.loadBalancerDnsName,
    alarmTopicArn: monitoring.alarmTopicArn,
    sesDkimTokens: ses ? ses.dkimTokens : pulumi.output<Record<string, string[]>>({}),
    kubernetesVersion: cluster.kubernetesVersion,
  };
}
