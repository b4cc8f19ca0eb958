/**
 * Gatehouse's Pulumi program: `pulumi up` in this folder (see README.md).
 * Reads the `gatehouse:*` stack configuration, validates it before creating
 * anything, and builds the stack from the components in src/components.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { createGatehouse } from './src/program.js';
import { NUMBER_CONFIG_KEYS, OBJECT_CONFIG_KEYS, STRING_CONFIG_KEYS, resolveStackSettings } from './src/settings.js';

const config = new pulumi.Config('gatehouse');
const raw: Record<string, unknown> = {};
for (const key of OBJECT_CONFIG_KEYS) raw[key] = config.getObject(key);
for (const key of STRING_CONFIG_KEYS) raw[key] = config.get(key);
for (const key of NUMBER_CONFIG_KEYS) raw[key] = config.getNumber(key);

const settings = resolveStackSettings(pulumi.getStack(), raw);
const [region, identity, zones] = await Promise.all([
  aws.getRegion(),
  aws.getCallerIdentity(),
  aws.getAvailabilityZones({ state: 'available' }),
]);

const stack = createGatehouse({
  settings,
  region: region.region,
  accountId: identity.accountId,
  availabilityZones: zones.names,
});

export const poolIds = stack.poolIds;
export const issuers = stack.issuers;
export const clientIds = stack.clientIds;
/** The value of the API's GATEHOUSE_SHARED_POOLS (also in its ConfigMap). */
export const sharedPools = stack.sharedPools;
export const apiUrl = stack.apiUrl;
export const databaseEndpoint = stack.databaseEndpoint;
export const databaseSecretArn = stack.databaseSecretArn;
export const clusterName = stack.clusterName;
export const kubeconfig = stack.kubeconfig;
export const apiRoleArn = stack.apiRoleArn;
export const migrationJob = stack.migrationJob;
export const webAclArn = stack.webAclArn;
/** Point the API host's DNS record (alias/CNAME) here. */
export const loadBalancerDnsName = stack.loadBalancerDnsName;
export const alarmTopicArn = stack.alarmTopicArn;
/** Publish `<token>._domainkey.<email domain>` CNAME `<token>.dkim.amazonses.com` for each, per region. */
export const sesDkimTokens = stack.sesDkimTokens;
