/**
 * E-mail for the Cognito pools (row 4): per region the pools live in (the
 * stack's and each silo region), an Amazon SES domain identity with Easy
 * DKIM, a configuration set that requires TLS, suppresses addresses that
 * bounced or complained and sends those events (plus rejects and delays) to
 * an SNS topic, and an identity policy that lets Cognito send from it for
 * this account only.
 *
 * Pools switch to it (`EmailSendingAccount: DEVELOPER`) only once the stack
 * says `email.useSes: true`: Cognito refuses an identity that is not yet
 * verified, and verification waits for the DKIM DNS records (stack output
 * `sesDkimRecords`). New SES accounts are also in the SES sandbox until AWS
 * grants production access; both steps are manual (infra/README.md).
 */
import type { EmailSending } from '@gatehouse/tiers';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface SesArgs {
  readonly deployment: string;
  readonly accountId: string;
  /** The stack's region first, then silo regions. */
  readonly regions: readonly string[];
  readonly stackRegion: string;
  /** The sending domain, e.g. `mail.gatehouse.example.com`. */
  readonly domain: string;
  /** Local part of the sending address (`no-reply` → `no-reply@<domain>`). */
  readonly fromLocalPart: string;
  readonly replyToAddress?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Event types the configuration set reports to SNS. */
export const SES_EVENT_TYPES = ['BOUNCE', 'COMPLAINT', 'REJECT', 'DELIVERY_DELAY'] as const;

/** The identity ARN is known before the identity exists, so pool settings can be plain values. */
export function sesIdentityArn(region: string, accountId: string, domain: string): string {
  return `arn:aws:ses:${region}:${accountId}:identity/${domain}`;
}

export function configurationSetName(deployment: string): string {
  return `${deployment}-cognito`;
}

/** What a region's pools use (the blueprint's EmailSending). */
export function emailSendingFor(args: Pick<SesArgs, 'deployment' | 'accountId' | 'domain' | 'fromLocalPart' | 'replyToAddress'>, region: string): EmailSending {
  return {
    sourceArn: sesIdentityArn(region, args.accountId, args.domain),
    fromAddress: `${args.fromLocalPart}@${args.domain}`,
    configurationSet: configurationSetName(args.deployment),
    ...(args.replyToAddress ? { replyToAddress: args.replyToAddress } : {}),
  };
}

/** Cognito may send from the identity on behalf of this account's pools, and nothing else may. */
export function cognitoSendingPolicy(identityArn: string, accountId: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CognitoSendsForThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'cognito-idp.amazonaws.com' },
        Action: ['ses:SendEmail', 'ses:SendRawEmail'],
        Resource: identityArn,
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  };
}

export class Ses extends pulumi.ComponentResource {
  /** Per region: the DKIM CNAME tokens to publish (`<token>._domainkey.<domain>` → `<token>.dkim.amazonses.com`). */
  readonly dkimTokens: pulumi.Output<Record<string, string[]>>;
  readonly bounceTopicArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: SesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:identity:Ses', name, {}, opts);
    const tags = { ...args.tags };
    const dkim: Record<string, pulumi.Output<string[]>> = {};
    const topics: Record<string, pulumi.Output<string>> = {};
    for (const region of [...new Set(args.regions)]) {
      const inRegion =
        region === args.stackRegion
          ? { parent: this }
          : { parent: this, provider: new aws.Provider(`${name}-${region}`, { region }, { parent: this }) };
      const setName = configurationSetName(args.deployment);
      const configurationSet = new aws.sesv2.ConfigurationSet(
        `${name}-${region}`,
        {
          configurationSetName: setName,
          deliveryOptions: { tlsPolicy: 'REQUIRE' },
          reputationOptions: { reputationMetricsEnabled: true },
          sendingOptions: { sendingEnabled: true },
          // Never mail an address again after it bounced or complained (protects the sending reputation).
          suppressionOptions: { suppressedReasons: ['BOUNCE', 'COMPLAINT'] },
          tags,
        },
        inRegion,
      );
      const topic = new aws.sns.Topic(`${name}-${region}-events`, { kmsMasterKeyId: 'alias/aws/sns', tags }, inRegion);
      new aws.sns.TopicPolicy(
        `${name}-${region}-events`,
        {
          arn: topic.arn,
          policy: topic.arn.apply((arn) =>
            JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'ses.amazonaws.com' },
                  Action: 'sns:Publish',
                  Resource: arn,
                  Condition: { StringEquals: { 'aws:SourceAccount': args.accountId } },
                },
              ],
            }),
          ),
        },
        inRegion,
      );
      new aws.sesv2.ConfigurationSetEventDestination(
        `${name}-${region}-events`,
        {
          configurationSetName: configurationSet.configurationSetName,
          eventDestinationName: 'bounces-and-complaints',
          eventDestination: { enabled: true, matchingEventTypes: [...SES_EVENT_TYPES], snsDestination: { topicArn: topic.arn } },
        },
        inRegion,
      );
      const identity = new aws.sesv2.EmailIdentity(
        `${name}-${region}`,
        {
          emailIdentity: args.domain,
          configurationSetName: configurationSet.configurationSetName,
          dkimSigningAttributes: { nextSigningKeyLength: 'RSA_2048_BIT' },
          tags,
        },
        inRegion,
      );
      new aws.sesv2.EmailIdentityPolicy(
        `${name}-${region}-cognito`,
        {
          emailIdentity: identity.emailIdentity,
          policyName: 'cognito-sends',
          policy: JSON.stringify(cognitoSendingPolicy(sesIdentityArn(region, args.accountId, args.domain), args.accountId)),
        },
        inRegion,
      );
      dkim[region] = identity.dkimSigningAttributes.apply((attributes) => attributes?.tokens ?? []);
      topics[region] = topic.arn;
    }
    this.dkimTokens = pulumi.all(dkim);
    this.bounceTopicArns = pulumi.all(topics);
    this.registerOutputs({ dkimTokens: this.dkimTokens, bounceTopicArns: this.bounceTopicArns });
  }
}
