import { beforeAll, describe, expect, it } from 'vitest';
import { API_CONFIGMAP_KEYS, API_SECRET_KEYS } from '../api-environment.js';
import { type ProviderPayload, type ResourceRecorder, installPulumiMocks, isSecretValue, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./api-workload.js');

const config = Object.fromEntries(API_CONFIGMAP_KEYS.map((key) => [key, `value-of-${key}`])) as Record<
  (typeof API_CONFIGMAP_KEYS)[number],
  string
>;
const secrets = {
  DATABASE_URL: 'postgresql://gatehouse_app:secret@db:5432/gatehouse',
  DATABASE_PRIVILEGED_URL: 'postgresql://gatehouse_privileged:secret@db:5432/gatehouse',
};
const migrationSecrets = {
  ...secrets,
  DATABASE_ADMIN_URL: 'postgresql://gatehouse_admin:secret@db:5432/postgres',
  DATABASE_MIGRATION_URL: 'postgresql://gatehouse_owner:secret@db:5432/gatehouse',
};
const baseArgs = {
  namespace: 'gatehouse',
  serviceAccountName: 'gatehouse-api',
  serviceAccountRoleArn: 'arn:aws:iam::123456789012:role/gatehouse-api',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/gatehouse-api',
  imageTag: '1.4.2',
  host: 'api.gatehouse.example.com',
  ingressClassName: 'nginx',
  ingressControllerNamespace: 'ingress-nginx',
  config,
  secrets,
  migrationSecrets,
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
    const sa = recorder.one('kubernetes:core/v1:ServiceAccount').inputs;
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

  it('probes readiness on /health/ready and liveness on /health/live', () => {
    const api = deployment()['spec']['template']['spec']['containers'][0] as Container;
    expect(api['readinessProbe']['httpGet']).toEqual({ path: '/health/ready', port: 'http' });
    expect(api['livenessProbe']['httpGet']).toEqual({ path: '/health/live', port: 'http' });
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
    expect(container['image']).toBe(`${baseArgs.image}:1.4.2`);
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

  it('admits traffic to the API only from the ingress controller namespace', () => {
    const policy = recorder.one('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'api-api-traffic').inputs['spec'];
    expect(policy['ingress']).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ protocol: 'TCP', port: 3000 }],
      },
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

  it('puts exactly the API keys in the ConfigMap and Secret, database URLs as secrets only', () => {
    const configMap = recorder.one('kubernetes:core/v1:ConfigMap');
    const secret = recorder.one('kubernetes:core/v1:Secret', 'api-db');
    expect(Object.keys(configMap.inputs['data']).sort()).toEqual([...API_CONFIGMAP_KEYS].sort());
    expect(Object.keys(secret.inputs['stringData']).sort()).toEqual([...API_SECRET_KEYS].sort());
    expect(isSecretValue(secret.rawInputs['stringData'])).toBe(true);
    expect(JSON.stringify(configMap.inputs['data'])).not.toContain('postgresql://');
  });

  it('never mounts the migration credentials into API pods', () => {
    const migrationSecret = recorder.one('kubernetes:core/v1:Secret', 'api-migrate-db');
    expect(Object.keys(migrationSecret.inputs['stringData'])).toContain('DATABASE_ADMIN_URL');
    const apiEnvFrom = JSON.stringify(deployment()['spec']['template']['spec']['containers'][0]['envFrom']);
    expect(apiEnvFrom).not.toContain(migrationSecret.inputs['metadata']['name'] ?? 'api-migrate-db');
    expect(JSON.stringify(deployment())).not.toContain('DATABASE_ADMIN_URL');
  });

  it('routes the API host through the ingress class to the service', () => {
    const ingress = recorder.one('kubernetes:networking.k8s.io/v1:Ingress').inputs['spec'];
    expect(ingress['ingressClassName']).toBe('nginx');
    expect(ingress['rules'][0]['host']).toBe('api.gatehouse.example.com');
    expect(ingress['rules'][0]['http']['paths'][0]['backend']['service']['name']).toBe('gatehouse-api');
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
