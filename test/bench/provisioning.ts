/**
 * Section 4: tenant provisioning against the Cognito emulator — time per
 * tenant for each model and the throughput of 50 concurrent provisionings.
 *
 * The provisioning service (TenantProvisioningService, apps/api/src/tenants/)
 * is built separately. This section runs only when the build contains it;
 * otherwise it records that it is not available. It never invents figures.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchWorld } from './bench-world.js';

export type ProvisioningResults =
  | { readonly available: false; readonly note: string }
  | { readonly available: true; readonly note: string; readonly [key: string]: unknown };

export const PROVISIONING_MODULE = fileURLToPath(new URL('../../apps/api/src/tenants/provisioning.service.js', import.meta.url));

export async function runProvisioningBench(_world: BenchWorld, log: (line: string) => void): Promise<ProvisioningResults> {
  if (!existsSync(PROVISIONING_MODULE)) {
    const note = 'provisioning: not available in this build';
    log(note);
    return { available: false, note };
  }
  const note = 'provisioning: the service is in this build, but this benchmark does not drive it yet';
  log(note);
  return { available: false, note };
}
