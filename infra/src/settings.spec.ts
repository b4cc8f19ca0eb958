import { parseTierConfiguration } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import { StackConfigurationError, resolveEnvironmentSettings, resolveStackSettings } from './settings.js';

const minimal = {
  publicBaseDomain: 'gatehouse.example.com',
  apiImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/gatehouse-api',
  apiImageTag: '1.0.0',
  apiImageDigest: `sha256:${'a'.repeat(64)}`,
  database: { instanceClass: 'db.r6g.large' },
  ingress: { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' },
  email: { domain: 'mail.gatehouse.example.com' },
};
const defaultTiers = () => parseTierConfiguration({ tiers: [{ name: 'basic', model: 'pool' }] });

describe(resolveEnvironmentSettings.name, () => {
  it('makes prod stacks Multi-AZ, deletion-protected, with NAT per zone and longer backups', () => {
    expect(resolveEnvironmentSettings('prod-eu')).toMatchObject({
      isProduction: true,
      databaseMultiAz: true,
      deletionProtection: true,
      natGateways: 'perAz',
      databaseBackupRetentionDays: 14,
      skipFinalDatabaseSnapshot: false,
    });
    expect(resolveEnvironmentSettings('dev')).toMatchObject({ isProduction: false, databaseMultiAz: false, natGateways: 'single' });
  });

  it('refuses stack names it cannot classify instead of guessing', () => {
    expect(() => resolveEnvironmentSettings('production')).toThrow(/unknown stack name "production"/);
  });
});

describe(resolveStackSettings.name, () => {
  it('uses the repository tier file when gatehouse:tiers is absent and names the deployment after the stack', () => {
    const sut = resolveStackSettings('prod', minimal, defaultTiers);
    expect(sut.tiers.tiers.map((tier) => tier.name)).toEqual(['basic']);
    expect(sut.deployment).toBe('gatehouse-prod');
    expect(sut.apiHost).toBe('api.gatehouse.example.com');
    expect(sut.database).toMatchObject({ multiAz: true, deletionProtection: true, backupRetentionDays: 14 });
  });

  it('rejects an unknown isolation model in gatehouse:tiers with a clear message', () => {
    const attempt = () =>
      resolveStackSettings('dev', { ...minimal, tiers: { tiers: [{ name: 'gold', model: 'dedicated' }] } }, defaultTiers);
    expect(attempt).toThrow(StackConfigurationError);
    expect(attempt).toThrow(/tiers\.0\.model: unknown isolation model "dedicated": expected one of silo, pool, bridge/);
  });

  it('rejects bad node sizes and unknown keys, naming the config key', () => {
    const attempt = () =>
      resolveStackSettings('dev', { ...minimal, nodeGroup: { minSize: 'two' }, colour: 'blue' }, defaultTiers);
    expect(attempt).toThrow(/gatehouse:nodeGroup\.minSize/);
    expect(attempt).toThrow(/colour/);
  });

  it('accepts only https browser origins without a path or wildcard for CORS', () => {
    expect(resolveStackSettings('dev', minimal, defaultTiers).api.corsAllowedOrigins).toEqual([]);
    for (const origin of ['*', 'http://app.example.com', 'https://app.example.com/', 'https://*.example.com']) {
      expect(() => resolveStackSettings('dev', { ...minimal, api: { corsAllowedOrigins: [origin] } }, defaultTiers)).toThrow(
        /gatehouse:api\.corsAllowedOrigins\.0: must be an https origin/,
      );
    }
  });

  it('refuses the "latest" image tag', () => {
    expect(() => resolveStackSettings('dev', { ...minimal, apiImageTag: 'latest' }, defaultTiers)).toThrow(
      /immutable tag, not "latest"/,
    );
  });

  it('requires a TLS certificate in production', () => {
    const { ingress: _ingress, ...withoutCertificate } = minimal;
    expect(() => resolveStackSettings('prod', withoutCertificate, defaultTiers)).toThrow(/certificateArn: required in production/);
    expect(() => resolveStackSettings('dev', withoutCertificate, defaultTiers)).not.toThrow();
  });

  it('refuses a Kubernetes version outside EKS standard support on the day of the update (row 5)', () => {
    const onDay = new Date('2026-12-01T12:00:00Z');
    expect(() => resolveStackSettings('dev', { ...minimal, kubernetesVersion: '1.33' }, defaultTiers, onDay)).toThrow(
      /kubernetesVersion: 1\.33 is in EKS extended support on 2026-12-01/,
    );
    expect(() => resolveStackSettings('dev', { ...minimal, kubernetesVersion: '1.19' }, defaultTiers, onDay)).toThrow(
      /not in the EKS support calendar/,
    );
    expect(resolveStackSettings('dev', { ...minimal, kubernetesVersion: '1.35' }, defaultTiers, onDay).kubernetesVersion).toBe('1.35');
  });

  it('requires the image digest, so pods never run whatever a tag points at later (row 11)', () => {
    const { apiImageDigest: _digest, ...withoutDigest } = minimal;
    expect(() => resolveStackSettings('dev', withoutDigest, defaultTiers)).toThrow(/gatehouse:apiImageDigest/);
    expect(() => resolveStackSettings('dev', { ...minimal, apiImageDigest: 'sha256:abc' }, defaultTiers)).toThrow(
      /must be an image digest/,
    );
  });
});
