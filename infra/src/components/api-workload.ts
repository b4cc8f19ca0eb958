/**
 * The API in Kubernetes: its namespace, service account (IRSA), configuration
 * and secrets, the migration job that runs before a new version serves, the
 * Deployment, Service, Ingress, autoscaler, disruption budget and network
 * policies. Pods run as a non-root user with a read-only root filesystem and
 * no capabilities; the namespace enforces the `restricted` Pod Security level.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import {
  API_CONFIGMAP_KEYS,
  API_PORT,
  API_SECRET_KEYS,
  type ApiConfigMapKey,
  type ApiSecretKey,
  type MigrationSecretKey,
} from '../api-environment.js';

/** The uid/gid of the `gatehouse` user in docker/Dockerfile. */
export const API_UID = 10001;

export interface ApiReplicaArgs {
  readonly min: number;
  readonly max: number;
}

export interface ApiResourceArgs {
  readonly cpuRequest: string;
  readonly cpuLimit: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

export interface ApiWorkloadArgs {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** The IRSA role (see ApiServiceRole). */
  readonly serviceAccountRoleArn: pulumi.Input<string>;
  /** Image repository without tag, e.g. `<account>.dkr.ecr.<region>.amazonaws.com/gatehouse-api`. */
  readonly image: string;
  /** Immutable tag; also names the migration job, so a new tag runs migrations again. */
  readonly imageTag: string;
  /** Public host of the API, e.g. `api.gatehouse.example.com`. */
  readonly host: string;
  readonly ingressClassName: string;
  /** Namespace of the ingress controller: the only source of traffic to the API pods. */
  readonly ingressControllerNamespace: string;
  /** The API's non-secret environment (ConfigMap). */
  readonly config: Readonly<Record<ApiConfigMapKey, pulumi.Input<string>>>;
  /** The API's secret environment (Secret). */
  readonly secrets: Readonly<Record<ApiSecretKey, pulumi.Input<string>>>;
  /** The migration job's environment (its own Secret, never mounted by API pods). */
  readonly migrationSecrets: Readonly<Record<MigrationSecretKey, pulumi.Input<string>>>;
  /** Where Postgres lives (the database subnets); egress on 5432 is allowed there only. */
  readonly databaseCidrs: readonly string[];
  readonly replicas: ApiReplicaArgs;
  readonly resources: ApiResourceArgs;
  readonly targetCpuUtilizationPercent?: number;
}

export class ApiWorkloadArgsError extends Error {
  override readonly name = 'ApiWorkloadArgsError';
}

const CPU_QUANTITY = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY_QUANTITY = /^\d+(Ki|Mi|Gi)$/;

export function validateApiWorkloadArgs(
  args: Pick<ApiWorkloadArgs, 'imageTag' | 'replicas' | 'resources' | 'config' | 'secrets' | 'databaseCidrs'>,
): void {
  const problems: string[] = [];
  if (args.imageTag === 'latest' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(args.imageTag)) {
    problems.push(`imageTag "${args.imageTag}" must be an immutable Docker tag (not "latest")`);
  }
  const { min, max } = args.replicas;
  if (!Number.isInteger(min) || min < 1) problems.push(`replicas.min must be at least 1, got ${min}`);
  if (!Number.isInteger(max) || max < min) problems.push(`replicas.max must be at least replicas.min, got ${min}..${max}`);
  for (const key of ['cpuRequest', 'cpuLimit'] as const) {
    if (!CPU_QUANTITY.test(args.resources[key])) problems.push(`resources.${key} "${args.resources[key]}" is not a CPU quantity`);
  }
  for (const key of ['memoryRequest', 'memoryLimit'] as const) {
    if (!MEMORY_QUANTITY.test(args.resources[key])) {
      problems.push(`resources.${key} "${args.resources[key]}" is not a memory quantity such as 256Mi`);
    }
  }
  const missing = [
    ...API_CONFIGMAP_KEYS.filter((key) => args.config[key] === undefined),
    ...API_SECRET_KEYS.filter((key) => args.secrets[key] === undefined),
  ];
  if (missing.length > 0) problems.push(`missing API settings: ${missing.join(', ')}`);
  const unknown = [
    ...Object.keys(args.config).filter((key) => !(API_CONFIGMAP_KEYS as readonly string[]).includes(key)),
    ...Object.keys(args.secrets).filter((key) => !(API_SECRET_KEYS as readonly string[]).includes(key)),
  ];
  if (unknown.length > 0) problems.push(`settings the API does not read: ${unknown.join(', ')}`);
  if (args.databaseCidrs.length === 0) problems.push('databaseCidrs must list the database subnets');
  if (problems.length > 0) {
    throw new ApiWorkloadArgsError(`invalid ApiWorkload arguments:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** `gatehouse-migrate-<tag>` as a valid, at most 63-character Kubernetes name. */
export function migrationJobName(imageTag: string): string {
  const slug = imageTag
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `gatehouse-migrate-${slug}`.slice(0, 63).replace(/-+$/, '');
}

export const API_LABELS = { 'app.kubernetes.io/name': 'gatehouse', 'app.kubernetes.io/component': 'api' } as const;
export const MIGRATE_LABELS = { 'app.kubernetes.io/name': 'gatehouse', 'app.kubernetes.io/component': 'migrate' } as const;

/** The container hardening every Gatehouse container gets. */
export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: API_UID,
    runAsGroup: API_UID,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function podSecurityContext(): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: API_UID,
    runAsGroup: API_UID,
    fsGroup: API_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** A Secret's data, marked secret in Pulumi state whatever the inputs were. */
function secretStringData(values: Readonly<Record<string, pulumi.Input<string>>>): pulumi.Output<Record<string, string>> {
  return pulumi.secret(pulumi.all({ ...values }));
}

/** Node needs a writable /tmp; everything else stays read-only. */
const TMP_VOLUME = { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } };
const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };

export class ApiWorkload extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly deploymentName: pulumi.Output<string>;
  readonly migrationJobName: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ApiWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:workload:ApiWorkload', name, {}, opts);
    validateApiWorkloadArgs(args);
    const parent = { parent: this };
    const image = `${args.image}:${args.imageTag}`;

    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: args.namespace,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
      parent,
    );
    const ns = namespace.metadata.name;

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          name: args.serviceAccountName,
          namespace: ns,
          labels: API_LABELS,
          annotations: {
            'eks.amazonaws.com/role-arn': args.serviceAccountRoleArn,
            // Regional STS endpoint: no dependency on us-east-1.
            'eks.amazonaws.com/sts-regional-endpoints': 'true',
          },
        },
        // The API never talks to the Kubernetes API; the IRSA token is projected separately.
        automountServiceAccountToken: false,
      },
      parent,
    );

    // Auto-named (no metadata.name): a change creates a new object and rolls the pods.
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: { namespace: ns, labels: API_LABELS }, data: { ...args.config } },
      parent,
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-db`,
      {
        metadata: { namespace: ns, labels: API_LABELS },
        type: 'Opaque',
        stringData: secretStringData(args.secrets),
      },
      parent,
    );
    const migrationSecret = new k8s.core.v1.Secret(
      `${name}-migrate-db`,
      {
        metadata: { namespace: ns, labels: MIGRATE_LABELS },
        type: 'Opaque',
        stringData: secretStringData(args.migrationSecrets),
      },
      parent,
    );

    const networkPolicies = this.networkPolicies(name, ns, args);

    // Named after the image tag: a new tag is a new Job, which Pulumi waits to
    // complete before it touches the Deployment (dependsOn). A failed
    // migration therefore leaves the previous version serving.
    const job = new k8s.batch.v1.Job(
      `${name}-migrate`,
      {
        metadata: { name: migrationJobName(args.imageTag), namespace: ns, labels: { ...MIGRATE_LABELS, 'app.kubernetes.io/version': args.imageTag } },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 900,
          template: {
            metadata: { labels: MIGRATE_LABELS },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(),
              containers: [
                {
                  name: 'migrate',
                  image,
                  command: ['node', 'dist/tools/db/migrate.js'],
                  env: [{ name: 'NODE_ENV', value: 'production' }],
                  envFrom: [{ secretRef: { name: migrationSecret.metadata.name } }],
                  securityContext: containerSecurityContext(),
                  resources: {
                    requests: { cpu: '100m', memory: '128Mi' },
                    limits: { cpu: '500m', memory: '256Mi' },
                  },
                  volumeMounts: [TMP_MOUNT],
                },
              ],
              volumes: [TMP_VOLUME],
            },
          },
        },
      },
      { ...parent, dependsOn: networkPolicies },
    );

    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: 'gatehouse-api', namespace: ns, labels: { ...API_LABELS, 'app.kubernetes.io/version': args.imageTag } },
        spec: {
          replicas: args.replicas.min,
          revisionHistoryLimit: 5,
          selector: { matchLabels: API_LABELS },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels: { ...API_LABELS, 'app.kubernetes.io/version': args.imageTag } },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(),
              terminationGracePeriodSeconds: 30,
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: 'topology.kubernetes.io/zone',
                  whenUnsatisfiable: 'ScheduleAnyway',
                  labelSelector: { matchLabels: API_LABELS },
                },
              ],
              containers: [
                {
                  name: 'api',
                  image,
                  ports: [{ name: 'http', containerPort: API_PORT, protocol: 'TCP' }],
                  envFrom: [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }],
                  readinessProbe: {
                    httpGet: { path: '/health/ready', port: 'http' },
                    periodSeconds: 5,
                    timeoutSeconds: 2,
                    failureThreshold: 3,
                  },
                  livenessProbe: {
                    httpGet: { path: '/health/live', port: 'http' },
                    periodSeconds: 10,
                    timeoutSeconds: 2,
                    failureThreshold: 3,
                  },
                  startupProbe: {
                    httpGet: { path: '/health/live', port: 'http' },
                    periodSeconds: 2,
                    failureThreshold: 30,
                  },
                  // Let the endpoints controller and the ingress stop sending traffic before shutdown starts.
                  lifecycle: { preStop: { sleep: { seconds: 5 } } },
                  resources: {
                    requests: { cpu: args.resources.cpuRequest, memory: args.resources.memoryRequest },
                    limits: { cpu: args.resources.cpuLimit, memory: args.resources.memoryLimit },
                  },
                  securityContext: containerSecurityContext(),
                  volumeMounts: [TMP_MOUNT],
                },
              ],
              volumes: [TMP_VOLUME],
            },
          },
        },
      },
      // The autoscaler owns the replica count once running.
      { ...parent, dependsOn: [job, ...networkPolicies], ignoreChanges: ['spec.replicas'] },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: 'gatehouse-api', namespace: ns, labels: API_LABELS },
        spec: { type: 'ClusterIP', selector: API_LABELS, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
      parent,
    );

    new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: {
          name: 'gatehouse-api',
          namespace: ns,
          labels: API_LABELS,
          annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '1m' },
        },
        spec: {
          ingressClassName: args.ingressClassName,
          rules: [
            {
              host: args.host,
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: service.metadata.name, port: { name: 'http' } } },
                  },
                ],
              },
            },
          ],
        },
      },
      parent,
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: { name: 'gatehouse-api', namespace: ns, labels: API_LABELS },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name },
          minReplicas: args.replicas.min,
          maxReplicas: args.replicas.max,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: args.targetCpuUtilizationPercent ?? 70 } },
            },
          ],
          behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
        },
      },
      parent,
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: 'gatehouse-api', namespace: ns, labels: API_LABELS },
        // maxUnavailable rather than minAvailable: a single-replica dev stack can still drain nodes.
        spec: { maxUnavailable: 1, selector: { matchLabels: API_LABELS } },
      },
      parent,
    );

    this.namespace = ns;
    this.serviceName = service.metadata.name;
    this.deploymentName = deployment.metadata.name;
    this.migrationJobName = job.metadata.name;
    this.url = pulumi.output(`https://${args.host}`);
    this.registerOutputs({
      namespace: this.namespace,
      serviceName: this.serviceName,
      deploymentName: this.deploymentName,
      migrationJobName: this.migrationJobName,
      url: this.url,
    });
  }

  /** Default deny, then exactly the traffic the API and the migration job need. */
  private networkPolicies(name: string, ns: pulumi.Output<string>, args: ApiWorkloadArgs): k8s.networking.v1.NetworkPolicy[] {
    const parent = { parent: this };
    const dns = {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    };
    const postgres = {
      to: args.databaseCidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ports: [{ protocol: 'TCP', port: 5432 }],
    };
    return [
      new k8s.networking.v1.NetworkPolicy(
        `${name}-default-deny`,
        {
          metadata: { name: 'default-deny', namespace: ns },
          spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
        },
        parent,
      ),
      new k8s.networking.v1.NetworkPolicy(
        `${name}-api-traffic`,
        {
          metadata: { name: 'gatehouse-api', namespace: ns, labels: API_LABELS },
          spec: {
            podSelector: { matchLabels: API_LABELS },
            policyTypes: ['Ingress', 'Egress'],
            ingress: [
              {
                from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': args.ingressControllerNamespace } } }],
                ports: [{ protocol: 'TCP', port: API_PORT }],
              },
            ],
            egress: [
              dns,
              postgres,
              // Cognito, STS (IRSA) and external IdPs' JWKS, all over HTTPS.
              { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] },
            ],
          },
        },
        parent,
      ),
      new k8s.networking.v1.NetworkPolicy(
        `${name}-migrate-traffic`,
        {
          metadata: { name: 'gatehouse-migrate', namespace: ns, labels: MIGRATE_LABELS },
          spec: { podSelector: { matchLabels: MIGRATE_LABELS }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [dns, postgres] },
        },
        parent,
      ),
    ];
  }
}
