import { beforeAll, describe, expect, it } from 'vitest';
import { API_CONFIGMAP_KEYS, API_PORT, API_SECRET_KEYS, API_TLS_CERT_FILE, API_TLS_KEY_FILE, API_TLS_MOUNT_PATH } from '../api-environment.js';
import { type ProviderPayload, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

import type { ChallengeHandleKeysRef } from './api-workload.js';

type Module = typeof import('./api-workload.js');

const config = Object.fromEntries(API_CONFIGMAP_KEYS.map((key) => [key, `value-of-${key}`])) as Record<
  (typeof API_CONFIGMAP_KEYS)[number],
  string
>;
const digest = `sha256:${'c'.repeat(64)}`;
const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}`;
const databaseCredentials = {
  host: 'db.abc.eu-west-1.rds.amazonaws.com',
  port: 5432,
  databaseName: 'gatehouse',
  region: 'eu-west-1',
  masterSecretArn: secretArn('rds!db-1'),
  roleSecretArns: { owner: secretArn('owner'), app: secretArn('app'), privileged: secretArn('privileged') },
  readerRoleArn: 'arn:aws:iam::123456789012:role/gatehouse-secrets',
  version: 1,
};
const baseArgs = {
  namespace: 'gatehouse',
  serviceAccountName: 'gatehouse-api',
  serviceAccountRoleArn: 'arn:aws:iam::123456789012:role/gatehouse-api',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/gatehouse-api',
  imageTag: '1.4.2',
  imageDigest: digest,
  host: 'api.gatehouse.example.com',
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/1',
  loadBalancerCidrs: ['10.20.0.0/24', '10.20.1.0/24'],
  config,
  databaseCredentials,
  // Mid-rotation: k2 seals, k1 still opens.
  challengeHandleKeys: { keyIds: ['k2', 'k1'], secretArns: { k2: secretArn('handle-k2'), k1: secretArn('handle-k1') } },
  cognitoEventsSecretArn: secretArn('cognito-events'),
  tokenExchangeKeySecretArn: secretArn('token-exchange'),
  databaseCidrs: ['10.20.10.0/24', '10.20.11.0/24'],
  replicas: { min: 2, max: 6 },
  resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '256Mi', memoryLimit: '512Mi' },
};

type Container = Record<string, ProviderPayload>;

describe('ApiWorkload', () => {
  let recorder: ResourceRecorder;
  let mod: Module;
  let sut: InstanceType<Module['ApiWorkload']>;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./api-workload.js');
    sut = new mod.ApiWorkload('api', baseArgs);
    await valueOf(sut.url);
    await recorder.settled();
  });

  const deployment = () => recorder.one('kubernetes:apps/v1:Deployment').inputs;
  const job = () => recorder.one('kubernetes:batch/v1:Job').inputs;
  const podSpecs = () => [deployment()['spec']['template']['spec'], job()['spec']['template']['spec']];
  const containers = (): Container[] => podSpecs().flatMap((spec) => spec['containers'] as Container[]);

  it('annotates the service account with the IRSA role', () => {
    const sa = recorder.one('kubernetes:core/v1:ServiceAccount', 'api-sa').inputs;
    expect(sa['metadata']['name']).toBe('gatehouse-api');
    expect(sa['metadata']['annotations']['eks.amazonaws.com/role-arn']).toBe(baseArgs.serviceAccountRoleArn);
    expect(deployment()['spec']['template']['spec']['serviceAccountName']).toBe('gatehouse-api');
  });

  it('runs every container as non-root with a read-only root filesystem, no escalation and no capabilities', () => {
    expect(containers()).toHaveLength(2);
    for (const container of containers()) {
      expect(container['securityContext']).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(container['securityContext']['runAsUser']).toBeGreaterThan(0);
    }
    for (const spec of podSpecs()) expect(spec['securityContext']['runAsNonRoot']).toBe(true);
  });

  it('enforces the restricted Pod Security level on the namespace', () => {
    const labels = recorder.one('kubernetes:core/v1:Namespace').inputs['metadata']['labels'];
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('probes readiness on /health/ready and liveness on /health/live, over HTTPS (row 2)', () => {
    const api = deployment()['spec']['template']['spec']['containers'][0] as Container;
    expect(api['readinessProbe']['httpGet']).toEqual({ path: '/health/ready', port: 'https', scheme: 'HTTPS' });
    expect(api['livenessProbe']['httpGet']).toEqual({ path: '/health/live', port: 'https', scheme: 'HTTPS' });
    expect(api['startupProbe']['httpGet']).toEqual({ path: '/health/live', port: 'https', scheme: 'HTTPS' });
  });

  it('serves TLS to the ALB from a cert-manager certificate mounted read-only where TLS_CERT_FILE/TLS_KEY_FILE point (row 2)', () => {
    const certificate = recorder.one('kubernetes:cert-manager.io/v1:Certificate').inputs;
    expect(certificate['spec']).toMatchObject({
      secretName: mod.API_TLS_SECRET_NAME,
      dnsNames: expect.arrayContaining(['gatehouse-api.gatehouse.svc']),
      duration: '2160h',
      renewBefore: '720h',
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
      issuerRef: { name: 'gatehouse-api-self-signed', kind: 'Issuer' },
    });
    expect(recorder.one('kubernetes:cert-manager.io/v1:Issuer').inputs['spec']).toEqual({ selfSigned: {} });
    const pod = deployment()['spec']['template']['spec'];
    const api = pod['containers'][0] as Container;
    expect(api['ports']).toEqual([{ name: 'https', containerPort: API_PORT, protocol: 'TCP' }]);
    const mount = api['volumeMounts'].find((candidate: { name: string }) => candidate.name === 'tls');
    expect(mount).toEqual({ name: 'tls', mountPath: API_TLS_MOUNT_PATH, readOnly: true });
    const volume = pod['volumes'].find((candidate: { name: string }) => candidate.name === 'tls');
    expect(volume['secret']).toMatchObject({ secretName: mod.API_TLS_SECRET_NAME, defaultMode: 0o440 });
    expect([API_TLS_CERT_FILE, API_TLS_KEY_FILE]).toEqual(volume['secret']['items'].map((item: { path: string }) => `${API_TLS_MOUNT_PATH}/${item.path}`));
    // The migration job serves nothing and gets no certificate.
    expect(JSON.stringify(recorder.one('kubernetes:batch/v1:Job').inputs)).not.toContain(mod.API_TLS_SECRET_NAME);
  });

  it('sets resource requests and limits on every container', () => {
    for (const container of containers()) {
      expect(container['resources']['requests']).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container['resources']['limits']).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    }
  });

  it('runs migrations in a job named after the image tag, with the same image', async () => {
    expect(job()['metadata']['name']).toBe('gatehouse-migrate-1-4-2');
    const container = job()['spec']['template']['spec']['containers'][0] as Container;
    expect(container['image']).toBe(`${baseArgs.image}:1.4.2@${digest}`);
    expect(container['command']).toEqual(['node', 'dist/tools/db/migrate.js']);
    expect(await valueOf(sut.migrationJobName)).toBe('gatehouse-migrate-1-4-2');
  });

  it('scales with an autoscaling/v2 HPA between the configured bounds', () => {
    const hpa = recorder.one('kubernetes:autoscaling/v2:HorizontalPodAutoscaler').inputs;
    expect(hpa['spec']).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { kind: 'Deployment', name: 'gatehouse-api' },
    });
  });

  it('limits voluntary disruption with a PodDisruptionBudget on the API pods', () => {
    const pdb = recorder.one('kubernetes:policy/v1:PodDisruptionBudget').inputs;
    expect(pdb['spec']).toEqual({ maxUnavailable: 1, selector: { matchLabels: mod.API_LABELS } });
  });

  it("admits traffic to the API only from the ALB's subnets (IP targets, row 2)", () => {
    const policy = recorder.one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'api-api-traffic').inputs['spec'];
    expect(policy['ingress']).toEqual([
      { from: [{ ipBlock: { cidr: '10.20.0.0/24' } }, { ipBlock: { cidr: '10.20.1.0/24' } }], ports: [{ protocol: 'TCP', port: 3000 }] },
    ]);
  });

  it('lets the API out only to DNS, Postgres in the database subnets and HTTPS', () => {
    const policy = recorder.one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'api-api-traffic').inputs['spec'];
    const ports = (policy['egress'] as { ports: { port: number }[] }[]).map((rule) => rule.ports.map((p) => p.port));
    expect(ports).toEqual([[53, 53], [5432], [443]]);
    expect(policy['egress'][1]['to']).toEqual([{ ipBlock: { cidr: '10.20.10.0/24' } }, { ipBlock: { cidr: '10.20.11.0/24' } }]);
    const deny = recorder.one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'api-default-deny').inputs['spec'];
    expect(deny).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  const externalSecret = (name: string) =>
    recorder.ofType('kubernetes:external-secrets.io/v1:ExternalSecret').find((resource) => resource.name === name)?.inputs;

  it('puts exactly the API keys in the ConfigMap, and the database URLs only in Secrets External Secrets builds (row 9)', () => {
    const configMap = recorder.one('kubernetes:core/v1:ConfigMap');
    expect(Object.keys(configMap.inputs['data']).sort()).toEqual([...API_CONFIGMAP_KEYS].sort());
    expect(JSON.stringify(configMap.inputs['data'])).not.toContain('postgresql://');
    expect(recorder.ofType('kubernetes:core/v1:Secret')).toEqual([]);
    const api = externalSecret('api-db');
    expect(api?.['spec']['target']['name']).toBe(mod.API_DB_SECRET_NAME);
    expect(Object.keys(api?.['spec']['target']['template']['data']).sort()).toEqual([...API_SECRET_KEYS].sort());
    expect(api?.['spec']['data'].map((entry: { remoteRef: { key: string } }) => entry.remoteRef.key).sort()).toEqual(
      [
        secretArn('app'),
        secretArn('privileged'),
        secretArn('handle-k1'),
        secretArn('handle-k2'),
        secretArn('cognito-events'),
        secretArn('token-exchange'),
      ].sort(),
    );
  });

  it('builds COGNITO_EVENTS_SECRET into the API Secret only, from the events secret in Secrets Manager', () => {
    const api = externalSecret('api-db');
    expect(api?.['spec']['target']['template']['data']['COGNITO_EVENTS_SECRET']).toBe('{{ .cognito_events_secret }}');
    expect(api?.['spec']['data']).toEqual(
      expect.arrayContaining([{ secretKey: 'cognito_events_secret', remoteRef: { key: secretArn('cognito-events'), property: 'secret' } }]),
    );
    expect(JSON.stringify(externalSecret('api-migrate-db'))).not.toContain('cognito-events');
  });

  it('builds COGNITO_TOKEN_EXCHANGE_KEY into the API Secret only, from the exchange key in Secrets Manager', () => {
    const api = externalSecret('api-db');
    expect(api?.['spec']['target']['template']['data']['COGNITO_TOKEN_EXCHANGE_KEY']).toBe('{{ .cognito_token_exchange_key }}');
    expect(api?.['spec']['data']).toEqual(
      expect.arrayContaining([{ secretKey: 'cognito_token_exchange_key', remoteRef: { key: secretArn('token-exchange'), property: 'key' } }]),
    );
    expect(JSON.stringify(externalSecret('api-migrate-db'))).not.toContain('token-exchange');
  });

  it('builds CHALLENGE_HANDLE_KEYS into the API Secret only, newest key first, from Secrets Manager', () => {
    const api = externalSecret('api-db');
    expect(api?.['spec']['target']['template']['data']['CHALLENGE_HANDLE_KEYS']).toBe(
      'k2:{{ .challenge_handle_key_k2 }},k1:{{ .challenge_handle_key_k1 }}',
    );
    expect(api?.['spec']['data']).toEqual(
      expect.arrayContaining([
        { secretKey: 'challenge_handle_key_k2', remoteRef: { key: secretArn('handle-k2'), property: 'key' } },
        { secretKey: 'challenge_handle_key_k1', remoteRef: { key: secretArn('handle-k1'), property: 'key' } },
      ]),
    );
    const migrate = externalSecret('api-migrate-db');
    expect(Object.keys(migrate?.['spec']['target']['template']['data'])).not.toContain('CHALLENGE_HANDLE_KEYS');
    expect(JSON.stringify(migrate)).not.toContain('challenge_handle_key');
    expect(JSON.stringify(migrate)).not.toContain('handle-k');
    expect(JSON.stringify(recorder.one('kubernetes:core/v1:ConfigMap').inputs)).not.toContain('CHALLENGE_HANDLE_KEYS');
  });

  it('rejects handle key ids that are empty, repeated, not template-safe or without a secret', () => {
    const attempt = (challengeHandleKeys: ChallengeHandleKeysRef) => () =>
      mod.validateApiWorkloadArgs({ ...baseArgs, challengeHandleKeys });
    expect(attempt({ keyIds: [], secretArns: {} })).toThrow(/at least one key id/);
    expect(attempt({ keyIds: ['k1', 'k1'], secretArns: { k1: 'arn' } })).toThrow(/appear twice: k1/);
    expect(attempt({ keyIds: ['k-1'], secretArns: { 'k-1': 'arn' } })).toThrow(/key id "k-1"/);
    expect(attempt({ keyIds: ['k3'], secretArns: {} })).toThrow(/without a secret: k3/);
  });

  it('builds verify-full URLs from the role passwords, never with a password in the manifest (row 9)', () => {
    const templates = externalSecret('api-migrate-db')?.['spec']['target']['template']['data'] as Record<string, string>;
    expect(templates['DATABASE_URL']).toBe(
      'postgresql://gatehouse_app:{{ .app_password | urlquery }}@db.abc.eu-west-1.rds.amazonaws.com:5432/gatehouse?sslmode=verify-full&sslrootcert=/app/certs/rds-global-bundle.pem',
    );
    expect(templates['DATABASE_ADMIN_URL']).toMatch(/^postgresql:\/\/gatehouse_admin:\{\{ \.admin_password \| urlquery \}\}@.*\/postgres\?/);
    const store = recorder.one('kubernetes:external-secrets.io/v1:SecretStore').inputs['spec']['provider']['aws'];
    expect(store).toMatchObject({ service: 'SecretsManager', region: 'eu-west-1', auth: { jwt: { serviceAccountRef: { name: 'gatehouse-secrets' } } } });
  });

  it('never mounts the migration credentials into API pods', () => {
    const migrate = externalSecret('api-migrate-db');
    expect(Object.keys(migrate?.['spec']['target']['template']['data'])).toContain('DATABASE_ADMIN_URL');
    const apiEnvFrom = JSON.stringify(deployment()['spec']['template']['spec']['containers'][0]['envFrom']);
    expect(apiEnvFrom).toContain(mod.API_DB_SECRET_NAME);
    expect(apiEnvFrom).not.toContain(mod.MIGRATE_DB_SECRET_NAME);
    expect(JSON.stringify(deployment())).not.toContain('DATABASE_ADMIN_URL');
  });

  it('binds the API service to the ALB target group with IP targets (row 1)', () => {
    const binding = recorder.one('kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding').inputs['spec'];
    expect(binding).toEqual({ serviceRef: { name: 'gatehouse-api', port: 443 }, targetGroupARN: baseArgs.targetGroupArn, targetType: 'ip' });
    const service = recorder.one('kubernetes:core/v1:Service').inputs['spec'];
    expect(service['ports']).toEqual([{ name: 'https', port: 443, targetPort: 'https' }]);
    expect(recorder.ofType('kubernetes:networking.k8s.io/v1:Ingress')).toEqual([]);
  });

  it('runs the image by digest in every container (row 11)', () => {
    for (const container of containers()) expect(container['image']).toMatch(/@sha256:[a-f0-9]{64}$/);
  });

  it('rolls the pods and re-runs the bootstrap when the role passwords are rotated (row 9), and rolls them when the handle keys change', () => {
    expect(deployment()['spec']['template']['metadata']['annotations']).toEqual({
      'gatehouse.io/database-credentials-version': '1',
      'gatehouse.io/challenge-handle-key-ids': 'k2,k1',
    });
    expect(mod.migrationJobName('1.4.2', 3)).toBe('gatehouse-migrate-1-4-2-c3');
    expect(mod.migrationJobName('x'.repeat(100), 12)).toMatch(/-c12$/);
    expect(mod.migrationJobName('x'.repeat(100), 12)).toHaveLength(63);
  });

  it('rejects "latest", inverted replica bounds, bad quantities and unknown settings', () => {
    const attempt = () =>
      mod.validateApiWorkloadArgs({
        ...baseArgs,
        imageTag: 'latest',
        replicas: { min: 3, max: 2 },
        resources: { ...baseArgs.resources, memoryLimit: '512MB' },
        config: { ...config, DEBUG_EVERYTHING: 'true' } as typeof config,
      });
    expect(attempt).toThrow(/imageTag "latest"/);
    expect(attempt).toThrow(/replicas.max must be at least replicas.min, got 3..2/);
    expect(attempt).toThrow(/memoryLimit "512MB"/);
    expect(attempt).toThrow(/settings the API does not read: DEBUG_EVERYTHING/);
  });

  it('turns any tag into a valid job name', () => {
    expect(mod.migrationJobName('Release_2026.11.22+build.7')).toBe('gatehouse-migrate-release-2026-11-22-build-7');
    expect(mod.migrationJobName('x'.repeat(100))).toHaveLength(63);
  });
});
