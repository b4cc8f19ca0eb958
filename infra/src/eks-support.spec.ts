import { describe, expect, it } from 'vitest';
import { DEFAULT_KUBERNETES_VERSION, EKS_SUPPORT_CALENDAR, daysOfStandardSupportLeft, supportPhase } from './eks-support.js';
import { resolveStackSettings } from './settings.js';

describe('EKS version support (row 5)', () => {
  it('the default Kubernetes version is in EKS standard support today (reads the clock: fails when it leaves)', () => {
    const today = new Date();
    expect(
      supportPhase(DEFAULT_KUBERNETES_VERSION, today),
      `EKS ${DEFAULT_KUBERNETES_VERSION} is not in standard support on ${today.toISOString().slice(0, 10)}: move DEFAULT_KUBERNETES_VERSION to a newer row of EKS_SUPPORT_CALENDAR`,
    ).toBe('standard');
  });

  it('is what a stack gets when it does not set kubernetesVersion', () => {
    const settings = resolveStackSettings(
      'dev',
      {
        publicBaseDomain: 'dev.example.com',
        apiImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/gatehouse-api',
        apiImageDigest: `sha256:${'a'.repeat(64)}`,
        apiImageTag: '1.0.0',
        database: { instanceClass: 'db.t4g.micro' },
      },
      () => ({ tiers: [{ name: 'basic', model: 'pool' }] }) as never,
    );
    expect(settings.kubernetesVersion).toBe(DEFAULT_KUBERNETES_VERSION);
  });

  it('classifies the phases around the calendar dates (1.34 ends standard support on 2026-12-02)', () => {
    expect(supportPhase('1.34', new Date('2026-12-01T12:00:00Z'))).toBe('standard');
    expect(supportPhase('1.34', new Date('2026-12-03T00:00:00Z'))).toBe('extended');
    expect(supportPhase('1.33', new Date('2026-12-01T12:00:00Z'))).toBe('extended');
    expect(supportPhase('1.32', new Date('2027-03-24T00:00:00Z'))).toBe('unsupported');
    expect(supportPhase('1.20', new Date('2026-12-01T00:00:00Z'))).toBe('unknown');
    expect(daysOfStandardSupportLeft('1.34', new Date('2026-12-01T00:00:00Z'))).toBe(1);
  });

  it('keeps every row consistent: release < end of standard < end of extended, newest first', () => {
    for (const row of EKS_SUPPORT_CALENDAR) {
      expect(Date.parse(row.released)).toBeLessThan(Date.parse(row.endOfStandardSupport));
      expect(Date.parse(row.endOfStandardSupport)).toBeLessThan(Date.parse(row.endOfExtendedSupport));
    }
    const versions = EKS_SUPPORT_CALENDAR.map((row) => Number(row.version.split('.')[1]));
    expect(versions).toEqual([...versions].sort((a, b) => b - a));
  });
});
