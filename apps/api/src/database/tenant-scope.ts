/**
 * The tenant settings a database statement runs under, and the async scope
 * that carries them from TenantDb to the connection pool
 * (TenantContextPool), which sends them in the same round trip as the
 * statement. Settings are validated here, once, so what reaches Postgres is
 * always a well-formed uuid pair and a known role — or nothing at all.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TENANT_ROLES, type TenantRole } from '@gatehouse/tiers';
import { MissingTenantContextError } from '../common/domain-error.js';
import type { AuthContext } from '../tenancy/request-context.js';

export interface TenantSettings {
  readonly tenantId: string;
  readonly userId: string;
  readonly role: TenantRole;
  /** Identity of the settings: two scopes with the same key set the same values. */
  readonly key: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The settings for a verified principal; refuses anything malformed (fail closed). */
export function tenantSettingsFor(auth: AuthContext | undefined): TenantSettings {
  const role = auth?.roles[0];
  if (!auth || !UUID.test(auth.tenantId) || !UUID.test(auth.userId) || !role || !TENANT_ROLES.includes(role)) {
    throw new MissingTenantContextError();
  }
  const tenantId = auth.tenantId.toLowerCase();
  const userId = auth.userId.toLowerCase();
  return { tenantId, userId, role, key: `${tenantId}/${userId}/${role}` };
}

/** The settings of the statements issued in the current async chain, if any. */
export const tenantScope = new AsyncLocalStorage<TenantSettings>();
