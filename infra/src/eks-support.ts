/**
 * Amazon EKS's Kubernetes version calendar, dated, so the default version and
 * any stack's `kubernetesVersion` can be checked against the clock. A version
 * is in standard support for 14 months after EKS releases it, then in
 * extended support (the control plane costs $0.60/h instead of $0.10/h) for
 * 12 more, then EKS upgrades the cluster itself.
 *
 * Sources, read on 2026-12-01: the "Amazon EKS Kubernetes release calendar"
 * in the EKS user guide (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html)
 * and endoflife.date/amazon-eks for 1.32-1.35; for 1.36 the EKS release notes
 * (kubernetes-versions-standard.html: "1.36 is now available") with the dates
 * EKS announced (available 2 June 2026, standard support through 2 August 2027). Add a row when EKS releases a version; `eks-support.spec.ts`
 * fails once the default version leaves standard support.
 */
export interface EksVersionSupport {
  readonly version: string;
  /** First day EKS offered the version (UTC). */
  readonly released: string;
  /** Last day of standard support (UTC); extended support starts the next day. */
  readonly endOfStandardSupport: string;
  readonly endOfExtendedSupport: string;
}

export const EKS_SUPPORT_CALENDAR: readonly EksVersionSupport[] = [
  { version: '1.36', released: '2026-06-02', endOfStandardSupport: '2027-08-02', endOfExtendedSupport: '2028-08-02' },
  { version: '1.35', released: '2026-01-28', endOfStandardSupport: '2027-03-27', endOfExtendedSupport: '2028-03-27' },
  { version: '1.34', released: '2025-10-06', endOfStandardSupport: '2026-12-02', endOfExtendedSupport: '2027-12-02' },
  { version: '1.33', released: '2025-05-28', endOfStandardSupport: '2026-07-29', endOfExtendedSupport: '2027-07-29' },
  { version: '1.32', released: '2025-01-25', endOfStandardSupport: '2026-03-23', endOfExtendedSupport: '2027-03-23' },
];

/** The version new stacks get: the newest EKS release, in standard support until August 2027. */
export const DEFAULT_KUBERNETES_VERSION = '1.36';

/** EKS control plane prices per cluster-hour (us-east-1/eu-west-1 list prices). */
export const EKS_CONTROL_PLANE_USD_PER_HOUR = { standard: 0.1, extended: 0.6 } as const;

export type SupportPhase = 'standard' | 'extended' | 'unsupported' | 'unknown';

const endOfDay = (date: string): number => Date.parse(`${date}T23:59:59Z`);

export function supportPhase(version: string, now: Date): SupportPhase {
  const row = EKS_SUPPORT_CALENDAR.find((candidate) => candidate.version === version);
  if (!row) return 'unknown';
  const at = now.getTime();
  if (at < Date.parse(`${row.released}T00:00:00Z`)) return 'unknown';
  if (at <= endOfDay(row.endOfStandardSupport)) return 'standard';
  if (at <= endOfDay(row.endOfExtendedSupport)) return 'extended';
  return 'unsupported';
}

/** Days left in standard support (negative once it has ended); undefined for versions not in the calendar. */
export function daysOfStandardSupportLeft(version: string, now: Date): number | undefined {
  const row = EKS_SUPPORT_CALENDAR.find((candidate) => candidate.version === version);
  if (!row) return undefined;
  return Math.floor((endOfDay(row.endOfStandardSupport) - now.getTime()) / 86_400_000);
}
