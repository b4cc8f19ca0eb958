import { parseTierConfiguration } from '@gatehouse/tiers';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveStackSettings } from './settings.js';
import { MOCK_ACCOUNT_ID, MOCK_AZS, MOCK_REGION, type ResourceRecorder, installPulumiMocks, isSecretValue, valueOf } from './testing/pulumi-mocks.js';

type Module = typeof import('./program.js');

const settings = resolveStackSettings(
  'prod',
  {
    publicBaseDomain: 'gatehouse.example.com',
    apiImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/gatehouse-api',
    apiImageTag: '2.0.0',
    apiImageDigest: `sha256:${'b'.repeat(64)}`,
    clusterPublicAccessCidrs: ['203.0.113.0/24'],
    nodeGroup: { instanceTypes: ['m6i.large'], minSize: 3, desiredSize: 3, maxSize: 6 },
    database: { instanceClass: 'db.r6g.large' },
    ingress: { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' },
    siloRegions: ['us-east-1'],
    alarms: { email: 'oncall@example.com' },
    email: { domain: 'mail.gatehouse.example.com', useSes: true },
    api: { corsAllowedOrigins: ['https://app.example.com', 'https://admin.example.com:8443'], tierMoveSourceGraceMs: 7_200_000, auditRetentionDays: 400 },
  },
  () =>
    parseTierConfiguration({
      tiers: [
        { name: 'basic', model: 'pool' },
        { name: 'standard', model: 'bridge' },
        { name: 'premium', model: 'silo' },
      ],
    }),
);

describe('Gatehouse program (prod stack)', () => {
  let recorder: ResourceRecorder;
  let outputs: ReturnType<Module['createGatehouse']>;

  beforeAll(async () => {
    recorder = installPulumiMocks({ stack: 'prod' });
    const { createGatehouse } = await import('./program.js');
    outputs = createGatehouse({ settings, region: MOCK_REGION, accountId: MOCK_ACCOUNT_ID, availabilityZones: MOCK_AZS });
    await Promise.all([valueOf(outputs.apiUrl), valueOf(outputs.sharedPools), valueOf(outputs.databaseEndpoint)]);
    await recorder.settled();
  }, 60_000);

  it('exports pool ids, issuers, the API URL and the database endpoint', async () => {
    const [ids, issuers, url, endpoint] = await Promise.all([
      valueOf(outputs.poolIds),
      valueOf(outputs.issuers),
      valueOf(outputs.apiUrl),
      valueOf(outputs.databaseEndpoint),
    ]);
    expect(Object.keys(ids).sort()).toEqual(['basic', 'operators', 'standard']);
    expect(issuers['basic']).toBe(`https://cognito-idp.${MOCK_REGION}.amazonaws.com/${ids['basic']}`);
    expect(url).toBe('https://api.gatehouse.example.com');
    expect(endpoint).toMatch(/\.rds\.amazonaws\.com$/);
  });

  it('wires every shared pool and the API (for silo pools) to the same Cognito trigger functions', async () => {
    const functions = recorder.ofType('aws:lambda/function:Function');
    const arnOf = (name: string) => {
      const fn = functions.find((candidate) => candidate.inputs['name'] === name);
      if (!fn) throw new Error(`no function ${name}`);
      return `arn:aws:lambda:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:function:${fn.id}`;
    };
    const preSignUp = arnOf(`${settings.deployment}-pre-sign-up`);
    const preTokenGeneration = arnOf(`${settings.deployment}-pre-token-generation`);
    const postEvents = arnOf(`${settings.deployment}-post-events`);
    const userMigration = arnOf(`${settings.deployment}-user-migration`);
    const exchange = {
      defineAuthChallenge: arnOf(`${settings.deployment}-define-auth-challenge`),
      createAuthChallenge: arnOf(`${settings.deployment}-create-auth-challenge`),
      verifyAuthChallengeResponse: arnOf(`${settings.deployment}-verify-auth-challenge-response`),
    };
    for (const pool of recorder.ofType('aws:cognito/userPool:UserPool')) {
      expect(pool.inputs['lambdaConfig']).toEqual({
        preSignUp,
        preTokenGenerationConfig: { lambdaArn: preTokenGeneration, lambdaVersion: 'V2_0' },
        postConfirmation: postEvents,
        postAuthentication: postEvents,
        userMigration,
        ...exchange,
      });
    }
    const data = recorder.one('kubernetes:core/v1:ConfigMap').inputs['data'] as Record<string, string>;
    expect(JSON.parse(data['GATEHOUSE_COGNITO_TRIGGERS'] as string)[MOCK_REGION]).toEqual({ preSignUp, preTokenGeneration, postEvents, userMigration, ...exchange });
  });

  it('deploys the trigger functions in every other silo region too, and hands the API each region’s (row 7)', () => {
    const regional = recorder.ofType('aws:lambda/function:Function').filter((fn) => fn.name.startsWith('cognito-triggers-us-east-1-'));
    expect(regional.map((fn) => fn.inputs['name']).sort()).toEqual([`${settings.deployment}-pre-sign-up`, `${settings.deployment}-pre-token-generation`]);
    const provider = recorder.resources.find((resource) => resource.type === 'pulumi:providers:aws' && resource.name === 'aws-us-east-1');
    expect(provider?.inputs['region']).toBe('us-east-1');
    const permission = recorder.ofType('aws:lambda/permission:Permission').find((candidate) => candidate.name.startsWith('cognito-triggers-us-east-1-'));
    expect(permission?.inputs['sourceArn']).toBe(`arn:aws:cognito-idp:us-east-1:${MOCK_ACCOUNT_ID}:userpool/*`);
    const byRegion = JSON.parse(configMap()['GATEHOUSE_COGNITO_TRIGGERS'] as string) as Record<string, { preSignUp: string }>;
    expect(Object.keys(byRegion).sort()).toEqual(configMap()['SILO_REGIONS']!.split(',').sort());
    expect(byRegion['us-east-1']?.preSignUp).not.toBe(byRegion[MOCK_REGION]?.preSignUp);
  });

  it('hands the API the Pulumi-created pools through GATEHOUSE_SHARED_POOLS in its ConfigMap', async () => {
    const data = recorder.one('kubernetes:core/v1:ConfigMap').inputs['data'] as Record<string, string>;
    const ids = await valueOf(outputs.poolIds);
    const shared = JSON.parse(data['GATEHOUSE_SHARED_POOLS'] as string) as Record<string, { userPoolId: string }>;
    expect(shared['basic']?.userPoolId).toBe(ids['basic']);
    expect(data).toMatchObject({ GATEHOUSE_MODE: 'aws', NODE_ENV: 'production', AWS_REGION: MOCK_REGION });
    expect(JSON.parse(data['GATEHOUSE_TIERS'] as string)).toEqual(settings.tiers);
  });

  it('spans three zones and makes the database Multi-AZ and deletion-protected in prod', () => {
    expect(recorder.ofType('aws:ec2/natGateway:NatGateway')).toHaveLength(3);
    expect(recorder.one('aws:rds/instance:Instance').inputs).toMatchObject({ multiAz: true, deletionProtection: true });
    expect(recorder.one('eks:index:Cluster').inputs['deletionProtection']).toBe(true);
  });

  it('admits Postgres only from the cluster node security group', () => {
    const rule = recorder.one('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'database-from-nodes').inputs;
    expect(rule['referencedSecurityGroupId']).toBe('sg-eks-cluster');
  });

  it('annotates the API service account with the IRSA role trusted for that very service account', () => {
    const role = recorder.ofType('aws:iam/role:Role').find((candidate) => candidate.name === 'api-role');
    const trust = JSON.parse(role?.inputs['assumeRolePolicy'] as string);
    expect(JSON.stringify(trust)).toContain('system:serviceaccount:gatehouse:gatehouse-api');
    const sa = recorder.one('kubernetes:core/v1:ServiceAccount', 'api-sa').inputs;
    expect(sa['metadata']).toMatchObject({ name: 'gatehouse-api', namespace: 'gatehouse' });
    expect(sa['metadata']['annotations']['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:mock:/);
  });

  const one = (type: string, name: string) => recorder.one(type, name).inputs;
  const configMap = () => recorder.one('kubernetes:core/v1:ConfigMap').inputs['data'] as Record<string, string>;

  it('serves the API from an ALB: HTTPS only with TLS 1.2+, the API host only, IP targets (row 1)', () => {
    const alb = one('aws:lb/loadBalancer:LoadBalancer', 'edge-alb');
    expect(alb).toMatchObject({ loadBalancerType: 'application', internal: false, dropInvalidHeaderFields: true, xffHeaderProcessingMode: 'append', enableDeletionProtection: true });
    expect(recorder.ofType('aws:lb/listener:Listener')).toHaveLength(1);
    const listener = one('aws:lb/listener:Listener', 'edge-listener');
    expect(listener).toMatchObject({ port: 443, protocol: 'HTTPS', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06' });
    expect(listener['defaultActions'][0]['fixedResponse']['statusCode']).toBe('404');
    expect(one('aws:lb/listenerRule:ListenerRule', 'edge-api-host')['conditions']).toEqual([{ hostHeader: { values: ['api.gatehouse.example.com'] } }]);
    expect(one('aws:lb/targetGroup:TargetGroup', 'edge-api')).toMatchObject({ targetType: 'ip', port: 3000, healthCheck: { path: '/health/ready' } });
    const sg = one('aws:ec2/securityGroup:SecurityGroup', 'edge-alb');
    expect(sg['ingress']).toEqual([expect.objectContaining({ fromPort: 443, toPort: 443 })]);
    expect(recorder.ofType('kubernetes:helm.sh/v3:Release').map((release) => release.inputs['chart'])).not.toContain('ingress-nginx');
  });

  it('keeps TLS from the ALB to the pods: HTTPS target group and health checks, the pods serving the cert-manager certificate (row 2)', async () => {
    const { API_TLS_CERT_FILE, API_TLS_KEY_FILE } = await import('./api-environment.js');
    expect(one('aws:lb/targetGroup:TargetGroup', 'edge-api')).toMatchObject({ protocol: 'HTTPS', healthCheck: { protocol: 'HTTPS', path: '/health/ready' } });
    expect(configMap()).toMatchObject({ TLS_CERT_FILE: API_TLS_CERT_FILE, TLS_KEY_FILE: API_TLS_KEY_FILE });
    expect(one('aws:eks/addon:Addon', 'cluster-cert-manager')['addonName']).toBe('cert-manager');
    const certificate = recorder.one('kubernetes:cert-manager.io/v1:Certificate');
    expect(certificate.inputs['spec']['secretName']).toBe('gatehouse-api-tls');
  });

  it('puts an AWS WAF web ACL with managed rule groups and a rate limit in front of the ALB (row 1)', () => {
    const acl = one('aws:wafv2/webAcl:WebAcl', 'edge-waf');
    expect(acl['scope']).toBe('REGIONAL');
    const names = (acl['rules'] as { name: string }[]).map((rule) => rule.name);
    expect(names).toEqual(['rate-limit-per-address', 'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
    expect(acl['rules'][0]['statement']['rateBasedStatement']).toEqual({ limit: 2000, aggregateKeyType: 'IP' });
    expect(one('aws:wafv2/webAclAssociation:WebAclAssociation', 'edge-waf')['resourceArn']).toMatch(/:loadbalancer\/app\/gatehouse-prod\//);
  });

  it('lets the load balancer controller only register targets in the API target group (row 1, least privilege)', () => {
    const policy = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'edge-lbc-policy')['policy'] as string);
    const writes = policy.Statement.filter((statement: { Resource: string }) => statement.Resource !== '*');
    expect(writes).toEqual([
      expect.objectContaining({ Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'], Resource: expect.stringContaining(':targetgroup/') }),
    ]);
    const reads = policy.Statement.find((statement: { Resource: string }) => statement.Resource === '*').Action as string[];
    expect(reads.every((action) => /:(Describe|Get)/.test(action))).toBe(true);
  });

  it('renders a ConfigMap the API boots with (its own configuration schema), given its Secret', async () => {
    const { loadConfig } = await import('../../apps/api/src/config/config.schema.js');
    // The certificate files exist only in the pod (cert-manager); everything else is as rendered.
    const { TLS_CERT_FILE: _cert, TLS_KEY_FILE: _key, ...data } = configMap();
    const secret = {
      DATABASE_URL: 'postgres://gatehouse_app:s3cret-app@db.internal:5432/gatehouse',
      DATABASE_PRIVILEGED_URL: 'postgres://gatehouse_privileged:s3cret-priv@db.internal:5432/gatehouse',
      CHALLENGE_HANDLE_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      COGNITO_TOKEN_EXCHANGE_KEY: Buffer.alloc(32, 9).toString('base64'),
    };
    const config = loadConfig({ ...data, ...secret });
    expect(config.env.CORS_ALLOWED_ORIGINS).toEqual(['https://app.example.com', 'https://admin.example.com:8443']);
    expect(config.env.TIER_MOVE_SOURCE_GRACE_MS).toBe(7_200_000);
    expect(config.env.AUDIT_RETENTION_DAYS).toBe(400);
  });

  it('hands the API the stack’s browser origins, tier-move grace and audit retention', () => {
    expect(configMap()).toMatchObject({
      CORS_ALLOWED_ORIGINS: 'https://app.example.com,https://admin.example.com:8443',
      TIER_MOVE_SOURCE_GRACE_MS: '7200000',
      AUDIT_RETENTION_DAYS: '400',
    });
  });

  it("trusts X-Forwarded-For only from the ALB's subnets, and only there admits traffic to the pods (row 2)", () => {
    expect(configMap()['TRUSTED_PROXY_CIDRS']).toBe('10.20.0.0/24,10.20.1.0/24,10.20.2.0/24');
    // Believing every peer's X-Forwarded-For made one rate-limit bucket of everyone behind a node.
    expect(configMap()).not.toHaveProperty('TRUST_PROXY');
    const publicSubnets = recorder.ofType('aws:ec2/subnet:Subnet').filter((subnet) => subnet.name.startsWith('network-public-'));
    expect(publicSubnets.map((subnet) => subnet.inputs['cidrBlock']).join(',')).toBe(configMap()['TRUSTED_PROXY_CIDRS']);
    const policy = recorder.one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'api-api-traffic').inputs['spec'];
    expect(policy['ingress'][0]['from']).toEqual(configMap()['TRUSTED_PROXY_CIDRS']!.split(',').map((cidr) => ({ ipBlock: { cidr } })));
    expect(one('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'edge-alb-to-pods')).toMatchObject({ fromPort: 3000, referencedSecurityGroupId: expect.any(String) });
  });

  it('passes the allowed silo regions to the API and to its IAM role (row 7)', () => {
    expect(configMap()['SILO_REGIONS']).toBe('eu-west-1,us-east-1');
    const policy = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'api-cognito')['policy'] as string);
    const create = policy.Statement.find((statement: { Action: string }) => statement.Action === 'cognito-idp:CreateUserPool');
    expect(create.Condition.StringEquals['aws:RequestedRegion']).toEqual(configMap()['SILO_REGIONS']!.split(','));
  });

  it('alarms at 80 % of the user-pool quota per allowed region and of the app-client quota per shared pool, on the metrics the API publishes (row 7)', async () => {
    const { CAPACITY_METRICS, DEPLOYMENT_DIMENSION } = await import('../../apps/api/src/tenants/cognito-capacity-metrics.js');
    const { COGNITO_CAPACITY_METRICS, COGNITO_CAPACITY_NAMESPACE } = await import('./components/monitoring.js');
    expect(COGNITO_CAPACITY_METRICS).toEqual(CAPACITY_METRICS);
    expect(configMap()['COGNITO_CAPACITY_METRICS_NAMESPACE']).toBe(COGNITO_CAPACITY_NAMESPACE);
    const alarms = recorder.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((alarm) => alarm.inputs);
    const capacity = alarms.filter((alarm) => alarm['namespace'] === COGNITO_CAPACITY_NAMESPACE);
    expect(capacity.map((alarm) => alarm['name']).sort()).toEqual([
      'gatehouse-prod-cognito-app-clients-basic',
      'gatehouse-prod-cognito-app-clients-operators',
      'gatehouse-prod-cognito-app-clients-standard',
      'gatehouse-prod-cognito-user-pools-eu-west-1',
      'gatehouse-prod-cognito-user-pools-us-east-1',
    ]);
    for (const alarm of capacity) {
      expect(alarm).toMatchObject({ threshold: 80, comparisonOperator: 'GreaterThanOrEqualToThreshold', statistic: 'Maximum' });
      expect(alarm['dimensions'][DEPLOYMENT_DIMENSION]).toBe('gatehouse-prod');
    }
    expect(capacity.find((alarm) => alarm['name'] === 'gatehouse-prod-cognito-user-pools-us-east-1')).toMatchObject({
      metricName: 'UserPoolQuotaPercent',
      dimensions: { Region: 'us-east-1' },
    });
    expect(capacity.find((alarm) => alarm['name'] === 'gatehouse-prod-cognito-app-clients-standard')).toMatchObject({
      metricName: 'AppClientQuotaPercent',
      dimensions: { Pool: 'standard' },
    });
    // The API may publish to that namespace and no other.
    const publish = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'api-capacity-metrics')['policy'] as string);
    expect(publish.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': COGNITO_CAPACITY_NAMESPACE } } }),
    ]);
  });

  it("denies the API every administrative action on the operators' pool, and scopes the rest to the deployment tag (row 6)", async () => {
    const ids = await valueOf(outputs.poolIds);
    const policy = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'api-cognito')['policy'] as string);
    const deny = policy.Statement.find((statement: { Sid: string }) => statement.Sid === 'NeverAdministerTheOperatorsPool');
    expect(deny.Resource).toBe(`arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/${ids['operators']}`);
    const tierDeny = policy.Statement.find((statement: { Sid: string }) => statement.Sid === 'TierPoolsChangeOnlyThroughPulumi');
    expect(tierDeny.Resource).toHaveLength(2);
    expect(tierDeny.Resource.join()).not.toContain(ids['operators']);
    const pool = recorder.ofType('aws:cognito/userPool:UserPool').find((candidate) => candidate.name === 'pools-basic');
    expect(pool?.inputs['tags']['gatehouse:deployment']).toBe('gatehouse-prod');
  });

  it('runs Karpenter across every zone, with IMDSv2 and hop limit 1 on its nodes (row 8)', () => {
    const pool = recorder.one('kubernetes:karpenter.sh/v1:NodePool').inputs['spec'];
    const zones = pool['template']['spec']['requirements'].find((requirement: { key: string }) => requirement.key === 'topology.kubernetes.io/zone');
    expect(zones.values).toEqual(MOCK_AZS);
    const nodeClass = recorder.one('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass').inputs['spec'];
    expect(nodeClass['metadataOptions']).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1 });
    expect(nodeClass['subnetSelectorTerms']).toEqual([{ tags: { 'karpenter.sh/discovery': 'gatehouse-prod' } }]);
    const privateSubnets = recorder.ofType('aws:ec2/subnet:Subnet').filter((subnet) => subnet.name.startsWith('network-private-'));
    for (const subnet of privateSubnets) expect(subnet.inputs['tags']['karpenter.sh/discovery']).toBe('gatehouse-prod');
    expect(one('aws:eks/accessEntry:AccessEntry', 'karpenter-node-access')['type']).toBe('EC2_LINUX');
    const controller = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'karpenter-controller-policy')['policy'] as string);
    const terminate = controller.Statement.find((statement: { Sid: string }) => statement.Sid === 'ChangeOnlyItsOwn');
    expect(terminate.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/gatehouse-prod': 'owned' } });
  });

  it('uses customer-managed keys with rotation for EKS secrets, RDS and Secrets Manager (row 9)', () => {
    const keys = recorder.ofType('aws:kms/key:Key');
    expect(keys.map((key) => key.name).sort()).toEqual(['keys-eks-secrets', 'keys-rds', 'keys-secrets-manager']);
    for (const key of keys) expect(key.inputs['enableKeyRotation']).toBe(true);
    const arnOf = (name: string) => `arn:aws:mock:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:key/${keys.find((key) => key.name === name)?.id}`;
    expect(recorder.one('eks:index:Cluster').inputs['encryptionConfigKeyArn']).toBe(arnOf('keys-eks-secrets'));
    expect(recorder.one('aws:rds/instance:Instance').inputs).toMatchObject({ kmsKeyId: arnOf('keys-rds'), masterUserSecretKmsKeyId: arnOf('keys-secrets-manager') });
  });

  it('lets only the secrets reader of the API namespace read the database secrets and the challenge handle key (row 9)', () => {
    const policy = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'api-secrets-policy')['policy'] as string);
    // Master, the three roles, the one handle key (k1), the Cognito events secret and the token exchange key: named secrets, no wildcard.
    expect(policy.Statement[0].Resource).toHaveLength(7);
    const eventsSecret = recorder.one('aws:secretsmanager/secret:Secret', 'cognito-events-secret');
    expect(policy.Statement[0].Resource).toContainEqual(expect.stringMatching(new RegExp(`/${eventsSecret.id}$`)));
    const exchangeKey = recorder.one('aws:secretsmanager/secret:Secret', 'cognito-token-exchange-secret');
    expect(policy.Statement[0].Resource).toContainEqual(expect.stringMatching(new RegExp(`/${exchangeKey.id}$`)));
    const handleKey = recorder.one('aws:secretsmanager/secret:Secret', 'challenge-handle-keys-k1');
    const secretsKey = recorder.one('aws:kms/key:Key', 'keys-secrets-manager');
    expect(handleKey.inputs).toMatchObject({
      name: 'gatehouse-prod/challenge-handle-keys/k1',
      kmsKeyId: `arn:aws:mock:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:key/${secretsKey.id}`,
    });
    expect(policy.Statement[0].Resource).toContainEqual(expect.stringMatching(new RegExp(`/${handleKey.id}$`)));
    expect(JSON.stringify(policy.Statement[0].Resource)).not.toContain('*');
    // The API's own role (Cognito) may read no secret at all.
    expect(one('aws:iam/rolePolicy:RolePolicy', 'api-cognito')['policy']).not.toContain('secretsmanager');
    expect(policy.Statement[1]).toMatchObject({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${MOCK_REGION}.amazonaws.com` } } });
    const trust = JSON.parse(one('aws:iam/role:Role', 'api-secrets-role')['assumeRolePolicy'] as string);
    expect(JSON.stringify(trust)).toContain('system:serviceaccount:gatehouse:gatehouse-secrets');
  });

  it('keeps the challenge handle key out of every plain input: only the write-only, secret-marked version holds it', () => {
    const version = recorder.one('aws:secretsmanager/secretVersion:SecretVersion', 'challenge-handle-keys-k1');
    expect(isSecretValue(version.rawInputs['secretStringWo'])).toBe(true);
    expect(version.inputs['secretString']).toBeUndefined();
    const key = JSON.parse(version.inputs['secretStringWo'] as string).key as string;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const elsewhere = recorder.resources.filter((resource) => resource !== version && JSON.stringify(resource.inputs).includes(key));
    expect(elsewhere.map((resource) => resource.name)).toEqual([]);
    expect(configMap()['CHALLENGE_HANDLE_KEYS']).toBeUndefined();
    expect(configMap()['OPENAPI_DOCS_ENABLED']).toBe('false');
  });

  it('ships container logs with a retention and alarms on 5xx, latency, Cognito quota use and RDS (row 10)', () => {
    expect(one('aws:eks/addon:Addon', 'monitoring-observability')['addonName']).toBe('amazon-cloudwatch-observability');
    const groups = recorder.ofType('aws:cloudwatch/logGroup:LogGroup');
    for (const group of groups) expect(group.inputs['retentionInDays'], group.name).toBe(365);
    expect(groups.map((group) => group.inputs['name'])).toEqual(
      expect.arrayContaining(['/aws/eks/gatehouse-prod/cluster', '/aws/containerinsights/gatehouse-prod/application', '/gatehouse/gatehouse-prod/vpc-flow-logs']),
    );
    const alarms = recorder.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((alarm) => alarm.inputs);
    const byName = (suffix: string) => alarms.find((alarm) => alarm['name'] === `gatehouse-prod-${suffix}`);
    expect(byName('api-target-5xx')).toMatchObject({ metricName: 'HTTPCode_Target_5XX_Count', dimensions: { LoadBalancer: 'app/gatehouse-prod/50dc6c495c0c9188' } });
    expect(byName('api-latency-p99')).toMatchObject({ metricName: 'TargetResponseTime', extendedStatistic: 'p99' });
    expect(byName('cognito-userauthentication-quota')).toMatchObject({ threshold: 80 });
    expect(JSON.stringify(byName('cognito-userauthentication-quota')?.['metricQueries'])).toContain('SERVICE_QUOTA(usage)');
    expect(byName('database-free-storage')).toMatchObject({ namespace: 'AWS/RDS', dimensions: { DBInstanceIdentifier: 'database-postgres' } });
    for (const alarm of alarms) expect(alarm['alarmActions']).toHaveLength(1);
    expect(one('aws:sns/topicSubscription:TopicSubscription', 'monitoring-alarms-email')).toMatchObject({ protocol: 'email', endpoint: 'oncall@example.com' });
  });

  it('sends Cognito e-mail through SES in every pool region, with bounces and complaints to SNS (row 4)', () => {
    const identities = recorder.ofType('aws:sesv2/emailIdentity:EmailIdentity');
    expect(identities.map((identity) => identity.name).sort()).toEqual(['ses-eu-west-1', 'ses-us-east-1']);
    const set = one('aws:sesv2/configurationSet:ConfigurationSet', 'ses-eu-west-1');
    expect(set).toMatchObject({ configurationSetName: 'gatehouse-prod-cognito', suppressionOptions: { suppressedReasons: ['BOUNCE', 'COMPLAINT'] }, deliveryOptions: { tlsPolicy: 'REQUIRE' } });
    const destination = one('aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination', 'ses-eu-west-1-events');
    expect(destination['eventDestination']['matchingEventTypes']).toEqual(expect.arrayContaining(['BOUNCE', 'COMPLAINT']));
    const policy = JSON.parse(one('aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy', 'ses-eu-west-1-cognito')['policy'] as string);
    expect(policy.Statement[0]).toMatchObject({ Principal: { Service: 'cognito-idp.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': MOCK_ACCOUNT_ID } } });
    const arn = `arn:aws:ses:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:identity/mail.gatehouse.example.com`;
    for (const pool of recorder.ofType('aws:cognito/userPool:UserPool')) {
      expect(pool.inputs['emailConfiguration']).toMatchObject({ emailSendingAccount: 'DEVELOPER', sourceArn: arn, configurationSet: 'gatehouse-prod-cognito' });
    }
    const perRegion = JSON.parse(configMap()['COGNITO_EMAIL']!) as Record<string, { sourceArn: string }>;
    expect(Object.keys(perRegion)).toEqual(['eu-west-1', 'us-east-1']);
    expect(perRegion['us-east-1']?.sourceArn).toBe(`arn:aws:ses:us-east-1:${MOCK_ACCOUNT_ID}:identity/mail.gatehouse.example.com`);
  });
});
