/**
 * The deployment's Cognito Lambda triggers (handlers in infra/lambdas):
 *
 * - pre sign-up: refuses sign-ups that do not come through a Gatehouse client
 *   with the tenant attributes (direct sign-ups at Cognito leave no user);
 * - pre token generation (event V2_0): puts tenant id, tier and role into
 *   access tokens.
 *
 * Every pool of the deployment calls them: TierUserPools wires the shared
 * pools, and the API wires the silo pools it creates (the ARNs reach it as
 * `GATEHOUSE_COGNITO_TRIGGERS`). Cognito may invoke them for any pool of this
 * account and region (silo pool ids are not known here); the functions are
 * harmless for foreign pools (the pre sign-up one only refuses).
 *
 * Each handler is one self-contained TypeScript file, transpiled here with
 * SWC (already the build's compiler) into the function's `index.mjs`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { transformSync } from '@swc/core';
import { GATEHOUSE_CLIENT_NAME_SUFFIX, tenantClientNamePrefix } from '@gatehouse/tiers';
import { triggerFunction, triggerRole } from './trigger-function.js';

export const TRIGGER_HANDLERS = {
  preSignUp: 'pre-sign-up',
  preTokenGeneration: 'pre-token-generation',
} as const;
export type TriggerKind = keyof typeof TRIGGER_HANDLERS;

export { TRIGGER_RUNTIME, TRIGGER_TIMEOUT_SECONDS } from './trigger-function.js';

/** A handler file (infra/lambdas/<name>.ts) as the ES module the Lambda runs. */
export function triggerModuleSource(name: string): string {
  const path = fileURLToPath(new URL(`../../lambdas/${name}.ts`, import.meta.url));
  return transformSync(readFileSync(path, 'utf8'), {
    filename: path,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: false,
  }).code;
}

export interface CognitoTriggersArgs {
  readonly deployment: string;
  readonly region: pulumi.Input<string>;
  readonly accountId: pulumi.Input<string>;
  readonly logRetentionDays?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

export class CognitoTriggers extends pulumi.ComponentResource {
  readonly functions: Readonly<Record<TriggerKind, aws.lambda.Function>>;
  readonly preSignUpArn: pulumi.Output<string>;
  readonly preTokenGenerationArn: pulumi.Output<string>;
  /** The value of the API's `GATEHOUSE_COGNITO_TRIGGERS`. */
  readonly triggersJson: pulumi.Output<string>;

  constructor(name: string, args: CognitoTriggersArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:identity:CognitoTriggers', name, {}, opts);
    const tags = { ...args.tags };
    const poolsOfThisAccount = pulumi.interpolate`arn:aws:cognito-idp:${args.region}:${args.accountId}:userpool/*`;

    const role = triggerRole(this, name, tags);
    // The pre sign-up check reads the calling client's name and write attributes; nothing else.
    new aws.iam.RolePolicy(
      `${name}-describe-clients`,
      {
        role: role.id,
        policy: poolsOfThisAccount.apply((resource) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['cognito-idp:DescribeUserPoolClient'], Resource: resource }],
          }),
        ),
      },
      { parent: this },
    );

    const functions = {} as Record<TriggerKind, aws.lambda.Function>;
    for (const [kind, file] of Object.entries(TRIGGER_HANDLERS) as [TriggerKind, string][]) {
      const functionName = `${args.deployment}-${file}`;
      const fn = triggerFunction(this, {
        resourceNames: { logGroup: `${name}-${file}-logs`, function: `${name}-${file}`, permission: `${name}-${file}-cognito` },
        functionName,
        role,
        code: triggerArchive(file),
        environment: { GATEHOUSE_CLIENT_NAME_SUFFIX, GATEHOUSE_TENANT_CLIENT_PREFIX: tenantClientNamePrefix(args.deployment) },
        region: args.region,
        accountId: args.accountId,
        ...(args.logRetentionDays === undefined ? {} : { logRetentionDays: args.logRetentionDays }),
        tags,
      });
      functions[kind] = fn;
    }
    this.functions = functions;
    this.preSignUpArn = functions.preSignUp.arn;
    this.preTokenGenerationArn = functions.preTokenGeneration.arn;
    this.triggersJson = pulumi
      .all([this.preSignUpArn, this.preTokenGenerationArn])
      .apply(([preSignUp, preTokenGeneration]) => JSON.stringify({ preSignUp, preTokenGeneration }));
    this.registerOutputs({ preSignUpArn: this.preSignUpArn, preTokenGenerationArn: this.preTokenGenerationArn, triggersJson: this.triggersJson });
  }
}

/**
 * A handler that imports sibling handler files (`import … from './<name>.js'`, e.g. the
 * user-migration trigger using post-events' signing): each is shipped transpiled beside
 * `index.mjs` as `<name>.js`, with a package.json that makes `.js` files ES modules.
 */
export function triggerArchive(name: string, imports: readonly string[] = []): pulumi.asset.AssetArchive {
  const assets: Record<string, pulumi.asset.Asset> = { 'index.mjs': new pulumi.asset.StringAsset(triggerModuleSource(name)) };
  if (imports.length > 0) assets['package.json'] = new pulumi.asset.StringAsset(JSON.stringify({ type: 'module' }));
  for (const dependency of imports) assets[`${dependency}.js`] = new pulumi.asset.StringAsset(triggerModuleSource(dependency));
  return new pulumi.asset.AssetArchive(assets);
}
