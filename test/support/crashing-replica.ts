/**
 * A test-only API replica (run from `dist/` as its own process) that creates one
 * tenant and then dies — SIGKILL, no shutdown hooks, like a crashed pod — at the
 * start of the given provisioning step. Faults go through the same
 * `ProvisioningFaults` seam the in-process suites use; nothing in the API's
 * configuration can enable them.
 *
 * Usage: node crashing-replica.js <slug> <step> <firstAdminEmail>   (API settings from the environment)
 */
import 'reflect-metadata';
import { createApp } from '../../apps/api/src/app.factory.js';
import { loadConfigFromProcess } from '../../apps/api/src/config/config.module.js';
import { createTenantSchema } from '../../apps/api/src/tenants/dto/tenant.dto.js';
import { ProvisioningFaults } from '../../apps/api/src/tenants/provisioning/provisioning-faults.js';
import { TenantsService } from '../../apps/api/src/tenants/tenants.service.js';

const [slug, step, firstAdminEmail] = process.argv.slice(2);
if (!slug || !step || !firstAdminEmail) {
  process.stderr.write('usage: crashing-replica <slug> <step> <firstAdminEmail>\n');
  process.exit(2);
}

const app = await createApp(loadConfigFromProcess());
app.get(ProvisioningFaults).check = async (point) => {
  if (point.slug === slug && point.step === step && point.when === 'before') process.kill(process.pid, 'SIGKILL');
};
await app.init();
await app.get(TenantsService).create(createTenantSchema.parse({ name: `Crash ${slug}`, slug, tier: 'basic', firstAdminEmail }));
// Provisioning continues in the background until the fault kills the process.
