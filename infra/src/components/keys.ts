/**
 * Customer-managed KMS keys (row 9): one per purpose, so a key's policy,
 * rotation and CloudTrail record say which data it protects, and revoking one
 * does not take the others with it. Yearly automatic rotation; a deleted key
 * waits 30 days in production (7 elsewhere) so a mistaken destroy can be undone.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export const KEY_PURPOSES = ['eks-secrets', 'rds', 'secrets-manager'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

export interface KeysArgs {
  readonly deployment: string;
  readonly isProduction: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

export class Keys extends pulumi.ComponentResource {
  readonly arns: Readonly<Record<KeyPurpose, pulumi.Output<string>>>;

  constructor(name: string, args: KeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:security:Keys', name, {}, opts);
    const arns = {} as Record<KeyPurpose, pulumi.Output<string>>;
    for (const purpose of KEY_PURPOSES) {
      const key = new aws.kms.Key(
        `${name}-${purpose}`,
        {
          description: `${args.deployment}: ${purpose}`,
          enableKeyRotation: true,
          deletionWindowInDays: args.isProduction ? 30 : 7,
          tags: { ...args.tags, 'gatehouse:key-purpose': purpose },
        },
        { parent: this, protect: args.isProduction },
      );
      new aws.kms.Alias(`${name}-${purpose}`, { name: `alias/${args.deployment}/${purpose}`, targetKeyId: key.keyId }, { parent: this });
      arns[purpose] = key.arn;
    }
    this.arns = arns;
    this.registerOutputs({ arns });
  }
}
