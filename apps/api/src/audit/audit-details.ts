/**
 * Personal data in audit details is kept to what an auditor needs: targets
 * name users by id (`user:<id>`), so an e-mail address in details is never
 * needed. This last line of defence redacts any that a caller passes anyway
 * (at any depth), keeping the domain, which is organisational, not personal.
 */
const EMAIL = /[^\s@"'<>(),;:]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;
const MAX_DEPTH = 8;

export function minimiseDetails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, (_match, domain: string) => `[redacted]@${domain}`);
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => minimiseDetails(item, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, minimiseDetails(item, depth + 1)]));
}
