import { TrustedIssuersService } from '../../apps/api/src/auth/trusted-issuers.service.js';
import type { RunningApi } from './app.js';
import { privilegedClient, stackInfo } from './database.js';
import { createTenantRow } from './factories.js';

/**
 * An active pool-model tenant on the shared `basic` pool, open to sign-ups (new
 * tenants are `closed`), known to `api`'s issuer registry. Returns its slug: for
 * suites that only need identity calls to get as far as Cognito.
 */
export async function createOpenPoolTenant(api: RunningApi): Promise<string> {
  const privileged = privilegedClient();
  try {
    const tenant = await createTenantRow(privileged, { tier: 'basic', isolationModel: 'pool' });
    await privileged.tenant.update({
      where: { id: tenant.id },
      data: { userPoolId: stackInfo().sharedPools['basic']?.userPoolId ?? null, signUpPolicy: 'open' },
    });
    await api.app.get(TrustedIssuersService).refreshTenant(tenant.id);
    return tenant.slug;
  } finally {
    await privileged.$disconnect();
  }
}
