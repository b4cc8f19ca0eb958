/**
 * The API in Kubernetes: its namespace, service account (IRSA), configuration
 * and secrets, the migration job that runs before a new version serves, the
 * Deployment, Service, TargetGroupBinding (to the ALB of edge.ts), autoscaler,
 * disruption budget and network
 * policies. Pods run as a non-root user with a read-only root filesystem and
 * no capabilities; the namespace enforces the `restricted` Pod Security level.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import {
  API_CONFIGMAP_KEYS,
  API_PORT,
  API_TLS_MOUNT_PATH,
  type ApiConfigMapKey,
  type ApiSecretKey,
  type MigrationSecretKey,
} from '../api-environment.js';
import { DATABASE_ROLES, type DatabaseRoleKind } from '../../../tools/db/database-urls.js';
import { MASTER_USERNAME } from './database.js';
import { challengeHandleKeyField, challengeHandleKeysTemplate, validateChallengeHandleKeyIds } from './challenge-handle-keys.js';
import { SECRETS_READER_SERVICE_ACCOUNT, postgresUrlTemplate } from './external-secrets.js';

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
  /** The tag's manifest digest: containers reference `image@digest`, never the tag alone. */
  readonly imageDigest: string;
  /** Public host of the API, e.g. `api.gatehouse.example.com`. */
  readonly host: string;
  /** The ALB's IP target group (edge.ts); a TargetGroupBinding keeps the API's pod addresses in it. */
  readonly targetGroupArn: pulumi.Input<string>;
  /** The ALB's subnets: the only source of traffic to the API pods (IP targets). */
  readonly loadBalancerCidrs: readonly string[];
  /** The API's non-secret environment (ConfigMap). */
  readonly config: Readonly<Record<ApiConfigMapKey, pulumi.Input<string>>>;
  /** Where the database credentials come from (Secrets Manager through External Secrets). */
  readonly databaseCredentials: DatabaseCredentialsArgs;
  /** The Secrets Manager secrets of `CHALLENGE_HANDLE_KEYS` (API Secret only). */
  readonly challengeHandleKeys: ChallengeHandleKeysRef;
  /** The Secrets Manager secret of `COGNITO_EVENTS_SECRET` (`{"secret"}`, CognitoEventsTrigger; API Secret only). */
  readonly cognitoEventsSecretArn: pulumi.Input<string>;
  /** The Secrets Manager secret of `COGNITO_TOKEN_EXCHANGE_KEY` (`{"key"}`, CognitoTokenExchangeTriggers; API Secret only). */
  readonly tokenExchangeKeySecretArn: pulumi.Input<string>;
  /** Where Postgres lives (the database subnets); egress on 5432 is allowed there only. */
  readonly databaseCidrs: readonly string[];
  readonly replicas: ApiReplicaArgs;
  readonly resources: ApiResourceArgs;
  readonly targetCpuUtilizationPercent?: number;
}

export interface ChallengeHandleKeysRef {
  /** Newest first: the first id seals, all open. */
  readonly keyIds: readonly string[];
  /** One secret per id, each holding `{"key": "<base64>"}` (challenge-handle-keys.ts). */
  readonly secretArns: Readonly<Record<string, pulumi.Input<string>>>;
}

export interface DatabaseCredentialsArgs {
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly databaseName: string;
  readonly region: string;
  /** The RDS-managed master secret (`username`, `password`): the migration job's bootstrap only. */
  readonly masterSecretArn: pulumi.Input<string>;
  readonly roleSecretArns: Readonly<Record<DatabaseRoleKind, pulumi.Input<string>>>;
  /** IRSA role of the namespace's secrets reader (SecretsReaderRole). */
  readonly readerRoleArn: pulumi.Input<string>;
  /** Rolls the pods and re-runs the migration job's bootstrap when the role passwords are rotated. */
  readonly version: number;
}

/**
 * The Kubernetes Secrets External Secrets writes: the API's (database URLs and
 * challenge handle keys), and the migration job's that API pods never mount.
 */
export const API_DB_SECRET_NAME = 'gatehouse-api-db';
export const MIGRATE_DB_SECRET_NAME = 'gatehouse-migrate-db';
export const SECRET_STORE_NAME = 'aws-secrets-manager';
/** The ESO field the events secret is copied to. */
export const COGNITO_EVENTS_SECRET_FIELD = 'cognito_events_secret';
/** The ESO field the tier-move token exchange key is copied to. */
export const TOKEN_EXCHANGE_KEY_FIELD = 'cognito_token_exchange_key';

/**
 * ESO templates for each Secret's keys, from the remote keys `<role>_password`,
 * `admin_password` and `challenge_handle_key_<id>`. The challenge handle keys
 * are the API's alone: the migration job's template is built without them.
 */
export function databaseSecretTemplates(
  host: string,
  port: number,
  databaseName: string,
  challengeHandleKeyIds: readonly string[],
): { api: Record<ApiSecretKey, string>; migrate: Record<MigrationSecretKey, string> } {
  const url = (kind: DatabaseRoleKind) => postgresUrlTemplate(DATABASE_ROLES[kind], `${kind}_password`, host, port, databaseName);
  const runtimeUrls = { DATABASE_URL: url('app'), DATABASE_PRIVILEGED_URL: url('privileged') };
  return {
    api: {
      ...runtimeUrls,
      CHALLENGE_HANDLE_KEYS: challengeHandleKeysTemplate(challengeHandleKeyIds),
      COGNITO_EVENTS_SECRET: `{{ .${COGNITO_EVENTS_SECRET_FIELD} }}`,
      COGNITO_TOKEN_EXCHANGE_KEY: `{{ .${TOKEN_EXCHANGE_KEY_FIELD} }}`,
    },
    migrate: {
      ...runtimeUrls,
      DATABASE_MIGRATION_URL: url('owner'),
      DATABASE_ADMIN_URL: postgresUrlTemplate(MASTER_USERNAME, 'admin_password', host, port, 'postgres'),
    },
  };
}

export class ApiWorkloadArgsError extends Error {
  override readonly name = 'ApiWorkloadArgsError';
}

const CPU_QUANTITY = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY_QUANTITY = /^\d+(Ki|Mi|Gi)$/;

export function validateApiWorkloadArgs(
  args: Pick<
    ApiWorkloadArgs,
    'imageTag' | 'imageDigest' | 'replicas' | 'resources' | 'config' | 'databaseCidrs' | 'loadBalancerCidrs' | 'challengeHandleKeys'
  >,
): void {
  validateChallengeHandleKeyIds(args.challengeHandleKeys.keyIds);
  const missingKeySecrets = args.challengeHandleKeys.keyIds.filter((id) => args.challengeHandleKeys.secretArns[id] === undefined);
  if (missingKeySecrets.length > 0) {
    throw new ApiWorkloadArgsError(`challenge handle key ids without a secret: ${missingKeySecrets.join(', ')}`);
  }
  const problems: string[] = [];
  if (!/^sha256:[a-f0-9]{64}$/.test(args.imageDigest)) problems.push(`imageDigest "${args.imageDigest}" must be sha256:<64 hex digits>`);
  if (args.loadBalancerCidrs.length === 0) problems.push('loadBalancerCidrs must list the ALB subnets');
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
  const missing = API_CONFIGMAP_KEYS.filter((key) => args.config[key] === undefined);
  if (missing.length > 0) problems.push(`missing API settings: ${missing.join(', ')}`);
  const unknown = Object.keys(args.config).filter((key) => !(API_CONFIGMAP_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) problems.push(`settings the API does not read: ${unknown.join(', ')}`);
  if (args.databaseCidrs.length === 0) problems.push('databaseCidrs must list the database subnets');
  if (problems.length > 0) {
    throw new ApiWorkloadArgsError(`invalid ApiWorkload arguments:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * `gatehouse-migrate-<tag>[-c<version>]` as a valid, at most 63-character
 * Kubernetes name: a new tag or rotated credentials (version > 1) is a new
 * Job, so the bootstrap sets the new role passwords before pods roll.
 */
export function migrationJobName(imageTag: string, credentialsVersion = 1): string {
  const slug = imageTag
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const suffix = credentialsVersion > 1 ? `-c${credentialsVersion}` : '';
  return `gatehouse-migrate-${slug}`.slice(0, 63 - suffix.length).replace(/-+$/, '') + suffix;
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


/**
 * The pods' serving certificate (row 2): cert-manager issues it from a self-signed Issuer into
 * this Secret and renews it; the API re-reads the mounted files. The ALB does not verify
 * backend certificates (it encrypts to any), so a private issuer is enough; what matters is
 * that nothing between the ALB and the pod travels in clear text.
 */
export const API_TLS_SECRET_NAME = 'gatehouse-api-tls';
export const API_TLS_CERTIFICATE = { duration: '2160h', renewBefore: '720h' } as const;
const TLS_VOLUME = {
  name: 'tls',
  // Group-readable for the API's fsGroup only; the kubelet updates the files on renewal.
  secret: { secretName: API_TLS_SECRET_NAME, defaultMode: 0o440, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] },
};
const TLS_MOUNT = { name: 'tls', mountPath: API_TLS_MOUNT_PATH, readOnly: true };

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
    // Tag for people, digest for the kubelet: the digest alone decides what runs.
    const image = `${args.image}:${args.imageTag}@${args.imageDigest}`;

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
    const secrets = this.databaseSecrets(name, ns, args.databaseCredentials, args.challengeHandleKeys, {
      cognitoEvents: args.cognitoEventsSecretArn,
      tokenExchangeKey: args.tokenExchangeKeySecretArn,
    });
    const networkPolicies = this.networkPolicies(name, ns, args);

    // Named after the image tag: a new tag is a new Job, which Pulumi waits to
    // complete before it touches the Deployment (dependsOn). A failed
    // migration therefore leaves the previous version serving.
    const job = new k8s.batch.v1.Job(
      `${name}-migrate`,
      {
        metadata: {
          name: migrationJobName(args.imageTag, args.databaseCredentials.version),
          namespace: ns,
          labels: { ...MIGRATE_LABELS, 'app.kubernetes.io/version': args.imageTag },
        },
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
                  envFrom: [{ secretRef: { name: MIGRATE_DB_SECRET_NAME } }],
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
      { ...parent, dependsOn: [...networkPolicies, ...secrets] },
    );

    const issuer = new k8s.apiextensions.CustomResource(
      `${name}-tls-issuer`,
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Issuer',
        metadata: { name: 'gatehouse-api-self-signed', namespace: ns, labels: API_LABELS },
        spec: { selfSigned: {} },
      },
      parent,
    );
    const certificate = new k8s.apiextensions.CustomResource(
      `${name}-tls-certificate`,
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'gatehouse-api', namespace: ns, labels: API_LABELS },
        spec: {
          secretName: API_TLS_SECRET_NAME,
          commonName: `gatehouse-api.${args.namespace}.svc`,
          dnsNames: ['gatehouse-api', `gatehouse-api.${args.namespace}.svc`, `gatehouse-api.${args.namespace}.svc.cluster.local`],
          ...API_TLS_CERTIFICATE,
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
          usages: ['server auth', 'digital signature'],
          issuerRef: { name: 'gatehouse-api-self-signed', kind: 'Issuer', group: 'cert-manager.io' },
        },
      },
      { ...parent, dependsOn: [issuer] },
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
            metadata: {
              labels: { ...API_LABELS, 'app.kubernetes.io/version': args.imageTag },
              // Environment from a Secret is read at start: rotated credentials or handle keys need new pods.
              annotations: {
                'gatehouse.io/database-credentials-version': String(args.databaseCredentials.version),
                'gatehouse.io/challenge-handle-key-ids': args.challengeHandleKeys.keyIds.join(','),
              },
            },
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
                  // HTTPS only (TLS_CERT_FILE/TLS_KEY_FILE in the ConfigMap): the ALB and the kubelet speak TLS to it.
                  ports: [{ name: 'https', containerPort: API_PORT, protocol: 'TCP' }],
                  envFrom: [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: API_DB_SECRET_NAME } }],
                  readinessProbe: {
                    httpGet: { path: '/health/ready', port: 'https', scheme: 'HTTPS' },
                    periodSeconds: 5,
                    timeoutSeconds: 2,
                    failureThreshold: 3,
                  },
                  livenessProbe: {
                    httpGet: { path: '/health/live', port: 'https', scheme: 'HTTPS' },
                    periodSeconds: 10,
                    timeoutSeconds: 2,
                    failureThreshold: 3,
                  },
                  startupProbe: {
                    httpGet: { path: '/health/live', port: 'https', scheme: 'HTTPS' },
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
                  volumeMounts: [TMP_MOUNT, TLS_MOUNT],
                },
              ],
              volumes: [TMP_VOLUME, TLS_VOLUME],
            },
          },
        },
      },
      // The autoscaler owns the replica count once running.
      { ...parent, dependsOn: [job, certificate, ...networkPolicies, ...secrets], ignoreChanges: ['spec.replicas'] },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: 'gatehouse-api', namespace: ns, labels: API_LABELS },
        spec: { type: 'ClusterIP', selector: API_LABELS, ports: [{ name: 'https', port: 443, targetPort: 'https' }] },
      },
      parent,
    );

    // The ALB (edge.ts) sends to pod addresses; the load balancer controller keeps them registered.
    new k8s.apiextensions.CustomResource(
      `${name}-target-group-binding`,
      {
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        metadata: { name: 'gatehouse-api', namespace: ns, labels: API_LABELS },
        spec: {
          serviceRef: { name: service.metadata.name, port: 443 },
          targetGroupARN: args.targetGroupArn,
          targetType: 'ip',
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

  /**
   * The namespace's SecretStore (authenticating as the secrets reader's
   * service account) and the two ExternalSecrets that build the API's and
   * the migration job's database URLs (and the API's challenge handle keys) from Secrets Manager.
   */
  private databaseSecrets(
    name: string,
    ns: pulumi.Output<string>,
    credentials: DatabaseCredentialsArgs,
    handleKeys: ChallengeHandleKeysRef,
    cognitoSecretArns: { readonly cognitoEvents: pulumi.Input<string>; readonly tokenExchangeKey: pulumi.Input<string> },
  ): k8s.apiextensions.CustomResource[] {
    const parent = { parent: this };
    const reader = new k8s.core.v1.ServiceAccount(
      `${name}-secrets-reader`,
      {
        metadata: {
          name: SECRETS_READER_SERVICE_ACCOUNT,
          namespace: ns,
          labels: API_LABELS,
          annotations: { 'eks.amazonaws.com/role-arn': credentials.readerRoleArn, 'eks.amazonaws.com/sts-regional-endpoints': 'true' },
        },
        automountServiceAccountToken: false,
      },
      parent,
    );
    const store = new k8s.apiextensions.CustomResource(
      `${name}-secret-store`,
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: SECRET_STORE_NAME, namespace: ns, labels: API_LABELS },
        spec: {
          provider: {
            aws: {
              service: 'SecretsManager',
              region: credentials.region,
              auth: { jwt: { serviceAccountRef: { name: reader.metadata.name } } },
            },
          },
        },
      },
      parent,
    );
    const remote = (secretKey: string, key: pulumi.Input<string>, property = 'password') => ({ secretKey, remoteRef: { key, property } });
    const templates = pulumi
      .all([credentials.host, credentials.port])
      .apply(([host, port]) => databaseSecretTemplates(host, port, credentials.databaseName, handleKeys.keyIds));
    const handleKeyRefs = handleKeys.keyIds.map((id) =>
      remote(challengeHandleKeyField(id), handleKeys.secretArns[id] as pulumi.Input<string>, 'key'),
    );
    const externalSecret = (
      resourceName: string,
      target: string,
      labels: Record<string, string>,
      data: pulumi.Input<Record<string, string>>,
      keys: { secretKey: string; remoteRef: { key: pulumi.Input<string>; property: string } }[],
    ) =>
      new k8s.apiextensions.CustomResource(
        resourceName,
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: {
            name: target,
            namespace: ns,
            labels,
            // pulumi up waits until the operator has written the Secret.
            annotations: { 'pulumi.com/waitFor': 'condition=Ready' },
          },
          spec: {
            refreshInterval: '5m',
            secretStoreRef: { name: store.metadata.name, kind: 'SecretStore' },
            target: {
              name: target,
              creationPolicy: 'Owner',
              template: {
                engineVersion: 'v2',
                metadata: { labels: { ...labels, 'gatehouse.io/database-credentials-version': String(credentials.version) } },
                data,
              },
            },
            data: keys,
          },
        },
        parent,
      );
    const roles = credentials.roleSecretArns;
    return [
      externalSecret(`${name}-db`, API_DB_SECRET_NAME, API_LABELS, templates.api, [
        remote('app_password', roles.app),
        remote('privileged_password', roles.privileged),
        ...handleKeyRefs,
        remote(COGNITO_EVENTS_SECRET_FIELD, cognitoSecretArns.cognitoEvents, 'secret'),
        remote(TOKEN_EXCHANGE_KEY_FIELD, cognitoSecretArns.tokenExchangeKey, 'key'),
      ]),
      externalSecret(`${name}-migrate-db`, MIGRATE_DB_SECRET_NAME, MIGRATE_LABELS, templates.migrate, [
        remote('app_password', roles.app),
        remote('privileged_password', roles.privileged),
        remote('owner_password', roles.owner),
        remote('admin_password', credentials.masterSecretArn),
      ]),
    ];
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
                // IP targets: the ALB's own addresses in its subnets, nothing else (kubelet probes are allowed by the agent).
                from: args.loadBalancerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
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
