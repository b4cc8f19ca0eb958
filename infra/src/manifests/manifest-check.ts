/**
 * The rendered-manifest check: every Kubernetes object the program creates,
 * validated against the Kubernetes OpenAPI schemas of the version the cluster
 * runs, plus Gatehouse's own rules (probes, resources, security context,
 * images by digest, no plain-text or exposed paths).
 *
 * Schemas: the `kubernetes-models` package (devDependency, pinned) compiles
 * the upstream OpenAPI definitions of one Kubernetes release into validators
 * and ships them in the package, so nothing is fetched at test time. Version
 * 5.x is generated from Kubernetes v1.36.0 (its CHANGELOG: "Update to
 * Kubernetes v1.36.0"). `SCHEMA_KUBERNETES_VERSION` states that, and the spec
 * fails when the cluster version and the schemas part ways.
 *
 * Custom resources (Karpenter, External Secrets, the load balancer
 * controller's TargetGroupBinding, cert-manager) have no upstream schema: the
 * check requires their API group to belong to a chart or add-on this program
 * installs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const SCHEMA_KUBERNETES_VERSION = '1.36';
const SCHEMA_PACKAGE_MAJOR = 5;

/** CRD groups and the chart (installed by this program) that defines them. */
export const CUSTOM_RESOURCE_GROUPS: Readonly<Record<string, string>> = {
  'karpenter.sh': 'karpenter',
  'karpenter.k8s.aws': 'karpenter',
  'external-secrets.io': 'external-secrets',
  'elbv2.k8s.aws': 'aws-load-balancer-controller',
  // The EKS community add-on (cluster.ts), not a chart, but installed by this program all the same.
  'cert-manager.io': 'cert-manager',
};

/**
 * Built-in group/versions a v1.36 API server serves by default (stable ones;
 * beta APIs are off by default since 1.24). The schema package also keeps
 * definitions of removed versions (extensions/v1beta1, policy/v1beta1, ...),
 * so this list, from the Kubernetes deprecated-API migration guide, decides
 * whether an apiVersion exists at all.
 */
export const SERVED_GROUP_VERSIONS: ReadonlySet<string> = new Set([
  'v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  'apps/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'autoscaling/v1',
  'autoscaling/v2',
  'batch/v1',
  'certificates.k8s.io/v1',
  'coordination.k8s.io/v1',
  'discovery.k8s.io/v1',
  'events.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1',
  'networking.k8s.io/v1',
  'node.k8s.io/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'resource.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'storage.k8s.io/v1',
]);

export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

/** `kubernetes:apps/v1:Deployment` → `apps/v1`, `Deployment`; `kubernetes:core/v1:Secret` → `v1`. */
export function parseKubernetesType(type: string): { apiVersion: string; kind: string } | undefined {
  const match = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(type);
  if (!match) return undefined;
  const groupVersion = match[1] as string;
  return { apiVersion: groupVersion.startsWith('core/') ? groupVersion.slice('core/'.length) : groupVersion, kind: match[2] as string };
}

/** The installed schema package's Kubernetes version (major 5 ↔ v1.36.0); throws if it is another major. */
export function installedSchemaVersion(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('kubernetes-models/package.json');
  const { version } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
  if (Number(version.split('.')[0]) !== SCHEMA_PACKAGE_MAJOR) {
    throw new Error(`kubernetes-models ${version} is not the 5.x (Kubernetes v1.36) this check was written for`);
  }
  return SCHEMA_KUBERNETES_VERSION;
}

type Validatable = { validate(): void };
type ModelClass = new (data: Record<string, unknown>) => Validatable;

/** Validates a built-in object against the upstream schema; returns the problems (empty when valid). */
export async function schemaProblems(object: RenderedObject): Promise<string[]> {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
  if (CUSTOM_RESOURCE_GROUPS[group]) return [];
  if (!SERVED_GROUP_VERSIONS.has(object.apiVersion)) {
    return [`${object.apiVersion} ${object.kind} does not exist in Kubernetes ${SCHEMA_KUBERNETES_VERSION}`];
  }
  const modulePath = `kubernetes-models/${object.apiVersion}/${object.kind}`;
  let model: ModelClass | undefined;
  try {
    model = ((await import(/* @vite-ignore */ modulePath)) as Record<string, ModelClass>)[object.kind];
  } catch {
    model = undefined;
  }
  if (!model) return [`${object.apiVersion} ${object.kind} does not exist in Kubernetes ${SCHEMA_KUBERNETES_VERSION}`];
  try {
    new model({ ...object.body, apiVersion: object.apiVersion, kind: object.kind }).validate();
    return [];
  } catch (error) {
    return [String((error as Error).message)];
  }
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

/** Pod templates of workload kinds (Deployment, Job, ...). */
function podSpecOf(object: RenderedObject): Json | undefined {
  const spec = asObject(object.body['spec']);
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(object.kind)) return asObject(asObject(spec['template'])['spec']);
  if (object.kind === 'CronJob') return asObject(asObject(asObject(asObject(spec['jobTemplate'])['spec'])['template'])['spec']);
  if (object.kind === 'Pod') return spec;
  return undefined;
}

/**
 * Gatehouse's rules for what it runs and exposes. Returns one line per
 * problem, prefixed with the object, so a failure says what to fix.
 */
export function lintProblems(objects: readonly RenderedObject[]): string[] {
  const problems: string[] = [];
  const where = (object: RenderedObject) => `${object.kind} ${object.name}`;
  const namespacesWithDefaultDeny = new Set<string>();
  const namespacesWithPods = new Set<string>();

  for (const object of objects) {
    const metadata = asObject(object.body['metadata']);
    const namespace = String(metadata['namespace'] ?? '');
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
    if (group.includes('.') && !group.endsWith('k8s.io') && !CUSTOM_RESOURCE_GROUPS[group]) {
      problems.push(`${where(object)}: custom resource of ${group}, which no chart of this program installs`);
    }

    if (object.kind === 'Namespace' && asObject(metadata['labels'])['pod-security.kubernetes.io/enforce'] !== 'restricted') {
      problems.push(`${where(object)}: must enforce the restricted Pod Security Standard`);
    }
    if (object.kind === 'NetworkPolicy') {
      const spec = asObject(object.body['spec']);
      const selectsAll = Object.keys(asObject(spec['podSelector'])).length === 0;
      const types = asArray(spec['policyTypes']) as unknown as string[];
      if (selectsAll && types.includes('Ingress') && types.includes('Egress') && !spec['ingress'] && !spec['egress']) {
        namespacesWithDefaultDeny.add(namespace);
      }
    }
    if (object.kind === 'Service' && ['LoadBalancer', 'NodePort'].includes(String(asObject(object.body['spec'])['type']))) {
      problems.push(`${where(object)}: exposed as ${String(asObject(object.body['spec'])['type'])}; the ALB (edge.ts) is the only way in`);
    }
    if (object.kind === 'Ingress') {
      problems.push(`${where(object)}: Ingress objects are not used; the ALB routes through a TargetGroupBinding`);
    }
    if (object.kind === 'Secret') {
      problems.push(`${where(object)}: Secrets come from External Secrets, never from Pulumi state`);
    }
    if (object.kind === 'ConfigMap') {
      for (const [key, value] of Object.entries(asObject(object.body['data']))) {
        // A URL with user:password@, or a key that names a credential.
        if (/:\/\/[^/\s"]*:[^@/\s"]+@/.test(String(value)) || /PASSWORD|SECRET|DATABASE_.*URL/i.test(key)) {
          problems.push(`${where(object)}: credentials in a ConfigMap (${key})`);
        }
      }
    }

    const pod = podSpecOf(object);
    if (!pod) continue;
    namespacesWithPods.add(namespace);
    const longRunning = object.kind !== 'Job' && object.kind !== 'CronJob';
    if (pod['automountServiceAccountToken'] !== false) problems.push(`${where(object)}: automountServiceAccountToken must be false`);
    const podSecurity = asObject(pod['securityContext']);
    for (const container of [...asArray(pod['initContainers']), ...asArray(pod['containers'])]) {
      const label = `${where(object)} container ${String(container['name'])}`;
      if (!/@sha256:[a-f0-9]{64}$/.test(String(container['image']))) problems.push(`${label}: image must be pinned by digest`);
      const resources = asObject(container['resources']);
      const requests = asObject(resources['requests']);
      const limits = asObject(resources['limits']);
      if (!requests['cpu'] || !requests['memory']) problems.push(`${label}: needs cpu and memory requests`);
      if (!limits['memory']) problems.push(`${label}: needs a memory limit`);
      const security = { ...podSecurity, ...asObject(container['securityContext']) };
      if (security['runAsNonRoot'] !== true) problems.push(`${label}: must run as non-root`);
      if (security['readOnlyRootFilesystem'] !== true) problems.push(`${label}: root filesystem must be read-only`);
      if (security['allowPrivilegeEscalation'] !== false) problems.push(`${label}: must not allow privilege escalation`);
      if (security['privileged'] === true) problems.push(`${label}: must not be privileged`);
      const drop = asArray(asObject(security['capabilities'])['drop']) as unknown as string[];
      if (!drop.includes('ALL')) problems.push(`${label}: must drop ALL capabilities`);
      if (asObject(security['seccompProfile'])['type'] !== 'RuntimeDefault') problems.push(`${label}: needs the RuntimeDefault seccomp profile`);
      if (longRunning) {
        if (!container['readinessProbe']) problems.push(`${label}: needs a readiness probe`);
        if (!container['livenessProbe']) problems.push(`${label}: needs a liveness probe`);
      }
      // TLS to the pods (issue 14 row 2): a container that serves HTTP serves it over TLS, so its probes do too.
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const httpGet = asObject(container[probe])['httpGet'];
        if (httpGet !== undefined && asObject(httpGet)['scheme'] !== 'HTTPS') problems.push(`${label}: ${probe} must use scheme HTTPS (the pod serves TLS)`);
      }
    }
  }
  for (const namespace of namespacesWithPods) {
    if (!namespacesWithDefaultDeny.has(namespace)) problems.push(`namespace ${namespace}: runs pods without a default-deny NetworkPolicy`);
  }
  return problems;
}
