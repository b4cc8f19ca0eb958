/**
 * Pulumi mocks for the infra specs: no CLI, no engine, no cloud. Every
 * registered resource is recorded with its inputs, so a spec can find it by
 * type and name and assert what would have been sent to AWS or Kubernetes.
 *
 * Usage (the order matters: mocks first, then import the component):
 *
 *   const recorder = installPulumiMocks();
 *   const { TierUserPools } = await import('../components/tier-user-pools.js');
 */
import * as pulumi from '@pulumi/pulumi';

export const MOCK_ACCOUNT_ID = '123456789012';
export const MOCK_REGION = 'eu-west-1';
export const MOCK_AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/**
 * What a provider receives: untyped, deeply nested JSON. Specs index into it
 * freely (`inputs['spec']['template']…`) and assert on the values, which is
 * clearer than re-declaring every Kubernetes and AWS input type here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type ProviderPayload = any;

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Inputs with secrets unwrapped, as the provider would receive them. */
  readonly inputs: Record<string, ProviderPayload>;
  /** Inputs as serialised, secrets still wrapped (see {@link isSecretValue}). */
  readonly rawInputs: Record<string, ProviderPayload>;
  readonly id: string;
}

/** The marker Pulumi's RPC layer wraps secret values in. */
const SECRET_SIGNATURE_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIGNATURE = '1b47061264138c4ac30d75fd1eb44270';

export function isSecretValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE;
}

function unwrapSecrets(value: unknown): ProviderPayload {
  if (isSecretValue(value)) return unwrapSecrets((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}

export class ResourceRecorder {
  readonly resources: RecordedResource[] = [];
  readonly invokes: { token: string; inputs: Record<string, unknown> }[] = [];

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  /** The one resource of a type (with that exact name, when given); throws when absent or ambiguous. */
  one(type: string, name?: string): RecordedResource {
    const found = this.ofType(type).filter((resource) => name === undefined || resource.name === name);
    if (found.length !== 1) {
      const names = this.ofType(type).map((resource) => resource.name);
      throw new Error(`expected one ${type} named ${name ?? '*'}, found ${found.length} among [${names.join(', ')}]`);
    }
    return found[0] as RecordedResource;
  }

  /**
   * Waits until registrations stop arriving: resources whose inputs depend on
   * other resources' outputs register a few event-loop turns later.
   */
  async settled(): Promise<void> {
    let stableTurns = 0;
    let last = -1;
    for (let turn = 0; turn < 200 && stableTurns < 5; turn += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      stableTurns = this.resources.length === last ? stableTurns + 1 : 0;
      last = this.resources.length;
    }
  }

  clear(): void {
    this.resources.length = 0;
    this.invokes.length = 0;
  }
}

let counter = 0;
const nextId = (prefix: string): string => `${prefix}-${(counter += 1).toString(16).padStart(8, '0')}`;

/** Explicit AWS providers' regions by provider id (resources in other regions name their provider). */
const providerRegions = new Map<string, string>();

/** The region a resource is created in: its explicit provider's (a reference is `<urn>::<id>`), else the stack's. */
function regionOf(provider: string | undefined): string {
  return (provider ? providerRegions.get(provider.split('::').pop() ?? '') : undefined) ?? MOCK_REGION;
}

/**
 * Ids shaped like the provider's where the API validates their shape: user pool ids are
 * `<region>_<9 alphanumerics>`, a function's id is its name (its ARN ends in it).
 */
function mockId(type: string, name: string, region: string, inputs: Record<string, ProviderPayload>): string {
  if (type === 'aws:cognito/userPool:UserPool') return `${region}_Mock${(counter += 1).toString(16).padStart(5, '0')}`;
  if (type === 'aws:lambda/function:Function' && typeof inputs['name'] === 'string') return inputs['name'];
  return nextId(name);
}

/** Provider-computed state a real `pulumi up` would return, for the outputs our components read. */
function computedState(type: string, name: string, id: string, inputs: Record<string, ProviderPayload>, region: string): Record<string, unknown> {
  switch (type) {
    case 'aws:cognito/userPool:UserPool':
      return { arn: `arn:aws:cognito-idp:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:userpool/${id}`, endpoint: `cognito-idp.${MOCK_REGION}.amazonaws.com/${id}` };
    case 'aws:lambda/function:Function':
      return { arn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${id}` };
    case 'aws:rds/instance:Instance':
      return {
        address: `${name}.abcdefghijkl.${MOCK_REGION}.rds.amazonaws.com`,
        port: 5432,
        endpoint: `${name}.abcdefghijkl.${MOCK_REGION}.rds.amazonaws.com:5432`,
        identifier: name,
        masterUserSecrets: [
          { secretArn: `arn:aws:secretsmanager:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:secret:rds!db-${id}`, kmsKeyId: inputs['masterUserSecretKmsKeyId'], secretStatus: 'active' },
        ],
      };
    case 'random:index/randomId:RandomId':
      return { hex: '0a1b2c3d', b64Url: 'ChssPQ', dec: '169552957' };
    case 'aws:lb/loadBalancer:LoadBalancer':
      return { arn: `arn:aws:elasticloadbalancing:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:loadbalancer/app/${inputs['name'] ?? name}/50dc6c495c0c9188`, arnSuffix: `app/${inputs['name'] ?? name}/50dc6c495c0c9188`, dnsName: `${inputs['name'] ?? name}-123.${MOCK_REGION}.elb.amazonaws.com` };
    case 'aws:lb/targetGroup:TargetGroup':
      return { arn: `arn:aws:elasticloadbalancing:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:targetgroup/${name}/6d0ecf831eec9f09`, arnSuffix: `targetgroup/${name}/6d0ecf831eec9f09` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { latestVersion: 1 };
    case 'aws:wafv2/webAcl:WebAcl':
      return { arn: `arn:aws:wafv2:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:regional/webacl/${name}/${id}`, name };
    case 'aws:sqs/queue:Queue':
      return { arn: `arn:aws:sqs:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:${name}`, url: `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT_ID}/${name}`, name };
    case 'kubernetes:helm.sh/v3:Release':
      return { name: inputs['name'] ?? name, status: { status: 'deployed' } };
    case 'random:index/randomBytes:RandomBytes':
      return { base64: Buffer.alloc(Number(inputs['length'] ?? 32), 7).toString('base64') };
    case 'random:index/randomPassword:RandomPassword':
      return { result: `mock-password-${name}` };
    case 'eks:index:Cluster':
      return {
        kubeconfigJson: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] }),
        kubeconfig: {},
        oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/oidc.eks.${MOCK_REGION}.amazonaws.com/id/MOCKCLUSTER`,
        oidcProviderUrl: `https://oidc.eks.${MOCK_REGION}.amazonaws.com/id/MOCKCLUSTER`,
        oidcIssuer: `oidc.eks.${MOCK_REGION}.amazonaws.com/id/MOCKCLUSTER`,
        nodeSecurityGroupId: 'sg-eks-cluster',
        clusterSecurityGroupId: 'sg-eks-cluster',
        eksCluster: { name: inputs['name'] ?? name },
        core: {},
      };
    default:
      if (type.startsWith('kubernetes:')) {
        const metadata = (inputs['metadata'] ?? {}) as Record<string, unknown>;
        return { metadata: { ...metadata, name: metadata['name'] ?? `${name}-mock` } };
      }
      return { arn: `arn:aws:mock:${MOCK_REGION}:${MOCK_ACCOUNT_ID}:${type.split(':').pop()?.toLowerCase()}/${id}` };
  }
}

export function installPulumiMocks(options: { stack?: string; config?: Record<string, string> } = {}): ResourceRecorder {
  const recorder = new ResourceRecorder();
  if (options.config) {
    // Config must be in place before any resource reads it.
    process.env['PULUMI_CONFIG'] = JSON.stringify(options.config);
  }
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        const inputs = unwrapSecrets(args.inputs) as Record<string, ProviderPayload>;
        const region = regionOf(args.provider);
        const id = args.id && args.id !== '' ? args.id : mockId(args.type, args.name, region, inputs);
        if (args.type === 'pulumi:providers:aws' && typeof inputs['region'] === 'string' && inputs['region'] !== '') providerRegions.set(id, inputs['region']);
        recorder.resources.push({ type: args.type, name: args.name, inputs, rawInputs: args.inputs, id });
        return { id, state: { ...args.inputs, ...computedState(args.type, args.name, id, inputs, region) } };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        recorder.invokes.push({ token: args.token, inputs: args.inputs });
        switch (args.token) {
          case 'aws:index/getAvailabilityZones:getAvailabilityZones':
            return { names: MOCK_AZS, zoneIds: MOCK_AZS.map((_, i) => `euw1-az${i + 1}`), id: MOCK_REGION };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/test`, userId: 'AIDMOCK', id: MOCK_ACCOUNT_ID };
          case 'aws:index/getRegion:getRegion':
            return { name: MOCK_REGION, region: MOCK_REGION, id: MOCK_REGION, description: 'Europe (Ireland)' };
          case 'aws:secretsmanager/getRandomPassword:getRandomPassword':
            // Generated at apply time and written write-only.
            // The mock makes one up per call, as long as asked for.
            return {
              randomPassword: `mock-generated-${recorder.invokes.length}-`.padEnd(Number(args.inputs['passwordLength'] ?? 32), 'x'),
              id: 'random',
            };
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
          default:
            throw new Error(`unmocked invoke ${args.token}`);
        }
      },
    },
    'gatehouse',
    options.stack ?? 'dev',
    false,
  );
  return recorder;
}

/** Resolves an Output in a test (mocks resolve every value, including unknown-at-preview ones). */
export function valueOf<T>(output: pulumi.Input<T> | pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}
