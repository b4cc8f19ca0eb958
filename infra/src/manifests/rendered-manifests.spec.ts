/**
 * The rendered-manifest check (issue 14): the program is run under the mocks
 * for each stack file (infra/Pulumi.<stack>.yaml), and every Kubernetes
 * object it creates is validated against the Kubernetes schemas of the
 * version the cluster deploys, then linted (manifest-check.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveStackSettings } from '../settings.js';
import { MOCK_ACCOUNT_ID, MOCK_AZS, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';
import {
  type RenderedObject,
  SCHEMA_KUBERNETES_VERSION,
  installedSchemaVersion,
  lintProblems,
  parseKubernetesType,
  schemaProblems,
} from './manifest-check.js';

const infraDir = fileURLToPath(new URL('../..', import.meta.url));
const stackFiles = readdirSync(infraDir).filter((file) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(file)).sort();

/** Runs the whole program for one stack file under the mocks; returns its Kubernetes objects and cluster version. */
async function render(file: string): Promise<{ objects: RenderedObject[]; kubernetesVersion: string }> {
  const stack = /^Pulumi\.(.+)\.yaml$/.exec(file)![1]!;
  const { config } = parse(readFileSync(`${infraDir}/${file}`, 'utf8')) as { config: Record<string, unknown> };
  const raw = Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith('gatehouse:'))
      .map(([key, value]) => [key.slice('gatehouse:'.length), value]),
  );
  const region = String(config['aws:region']);
  const settings = resolveStackSettings(stack, raw);
  const recorder = installPulumiMocks({ stack });
  const { createGatehouse } = await import('../program.js');
  const outputs = createGatehouse({ settings, region, accountId: MOCK_ACCOUNT_ID, availabilityZones: MOCK_AZS.map((zone) => zone.replace('eu-west-1', region)) });
  await Promise.all([valueOf(outputs.apiUrl), valueOf(outputs.migrationJob)]);
  await recorder.settled();
  const objects: RenderedObject[] = [];
  for (const resource of recorder.resources) {
    const parsed = parseKubernetesType(resource.type);
    if (!parsed || resource.type.startsWith('kubernetes:helm.sh/')) continue;
    const body = Object.fromEntries(Object.entries(resource.inputs).filter(([key]) => key !== 'apiVersion' && key !== 'kind'));
    objects.push({ ...parsed, name: resource.name, body });
  }
  return { objects, kubernetesVersion: outputs.kubernetesVersion };
}

describe('rendered Kubernetes manifests', () => {
  it('has stack files to render', () => {
    expect(stackFiles).toEqual(expect.arrayContaining(['Pulumi.dev.yaml', 'Pulumi.prod.yaml']));
  });

  it(`uses schemas of the Kubernetes version the stacks deploy (kubernetes-models → ${SCHEMA_KUBERNETES_VERSION})`, () => {
    expect(installedSchemaVersion()).toBe(SCHEMA_KUBERNETES_VERSION);
  });

  describe.each(stackFiles)('%s', (file) => {
    let rendered: Awaited<ReturnType<typeof render>>;

    it('renders under the mocks, for a cluster version the schemas match', async () => {
      rendered = await render(file);
      expect(rendered.kubernetesVersion, 'update kubernetes-models (and SCHEMA_KUBERNETES_VERSION) with the cluster version').toBe(
        SCHEMA_KUBERNETES_VERSION,
      );
      const kinds = new Set(rendered.objects.map((object) => object.kind));
      for (const kind of ['Namespace', 'Deployment', 'Job', 'Service', 'NetworkPolicy', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ExternalSecret', 'TargetGroupBinding', 'NodePool', 'Certificate']) {
        expect(kinds.has(kind), kind).toBe(true);
      }
    }, 120_000);

    it('validates every built-in object against the Kubernetes OpenAPI schemas', async () => {
      const problems = (await Promise.all(rendered.objects.map(async (object) => (await schemaProblems(object)).map((problem) => `${object.kind} ${object.name}: ${problem}`)))).flat();
      expect(problems).toEqual([]);
    });

    it('passes the lint rules: probes (HTTPS, row 2), resources, security context, digests, no plain Secrets, nothing exposed but the ALB', () => {
      expect(lintProblems(rendered.objects)).toEqual([]);
    });
  });
});

describe('the check itself catches what it is meant to', () => {
  const goodContainer = {
    name: 'api',
    image: `repo/api:1@sha256:${'a'.repeat(64)}`,
    resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } },
    readinessProbe: { httpGet: { path: '/', port: 1, scheme: 'HTTPS' } },
    livenessProbe: { httpGet: { path: '/', port: 1, scheme: 'HTTPS' } },
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
  const deployment = (container: Record<string, unknown>): RenderedObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'api',
    body: {
      metadata: { name: 'api', namespace: 'ns' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { automountServiceAccountToken: false, containers: [container] } } },
    },
  });
  const defaultDeny: RenderedObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    name: 'deny',
    body: { metadata: { namespace: 'ns' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
  };

  it('accepts a compliant deployment', async () => {
    expect(lintProblems([deployment(goodContainer), defaultDeny])).toEqual([]);
    expect(await schemaProblems(deployment(goodContainer))).toEqual([]);
  });

  it('rejects a tag-only image, missing probes and limits, a writable root and a missing default deny', () => {
    const { readinessProbe: _r, resources: _res, ...rest } = goodContainer;
    const problems = lintProblems([deployment({ ...rest, image: 'repo/api:1', securityContext: { ...goodContainer.securityContext, readOnlyRootFilesystem: false } })]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('pinned by digest'),
        expect.stringContaining('readiness probe'),
        expect.stringContaining('memory limit'),
        expect.stringContaining('read-only'),
        expect.stringContaining('default-deny'),
      ]),
    );
  });

  it('rejects plain-HTTP probes: the pods serve TLS (row 2)', () => {
    const plain = { ...goodContainer, livenessProbe: { httpGet: { path: '/', port: 1 } }, startupProbe: { httpGet: { path: '/', port: 1, scheme: 'HTTP' } } };
    expect(lintProblems([deployment(plain), defaultDeny])).toEqual([
      'Deployment api container api: livenessProbe must use scheme HTTPS (the pod serves TLS)',
      'Deployment api container api: startupProbe must use scheme HTTPS (the pod serves TLS)',
    ]);
  });

  it('rejects schema violations and API versions the cluster does not serve', async () => {
    const bad = deployment({ ...goodContainer, ports: [{ containerPort: 'http' }] });
    expect((await schemaProblems(bad)).join()).toMatch(/containerPort/);
    expect(await schemaProblems({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', name: 'old', body: {} })).toEqual([
      `extensions/v1beta1 Ingress does not exist in Kubernetes ${SCHEMA_KUBERNETES_VERSION}`,
    ]);
    expect(await schemaProblems({ apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', name: 'psp', body: {} })).toHaveLength(1);
  });

  it('rejects LoadBalancer Services, plain Secrets and custom resources no installed chart defines', () => {
    const problems = lintProblems([
      { apiVersion: 'v1', kind: 'Service', name: 'svc', body: { spec: { type: 'LoadBalancer' } } },
      { apiVersion: 'v1', kind: 'Secret', name: 'secret', body: { stringData: { a: 'b' } } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', name: 'monitor', body: {} },
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', body: { data: { DB: 'postgresql://app:hunter2@db/x', GATEHOUSE_TIERS: '{"passwordPolicy":{}}' } } },
    ]);
    expect(problems).toHaveLength(4);
    expect(problems[3]).toMatch(/credentials in a ConfigMap \(DB\)/);
  });
});
