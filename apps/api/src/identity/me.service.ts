/**
 * The signed-in user's own account: who am I, change my password, TOTP MFA.
 * Reads go through TenantDb (row-level security); Cognito calls use the
 * caller's own access token, so Cognito itself checks it is theirs.
 */
import { Injectable } from '@nestjs/common';
import { MissingTenantContextError } from '../common/domain-error.js';
import { TenantDb } from '../database/tenant-db.js';
import { currentAuth } from '../tenancy/request-context.js';
import { IdentityProvider } from './identity-provider.js';
import { assertPasswordMeetsPolicy } from './password-policy.js';
import { TenantIdentityResolver } from './tenant-identity.js';

@Injectable()
export class MeService {
  constructor(
    private readonly db: TenantDb,
    private readonly identity: IdentityProvider,
    private readonly tenants: TenantIdentityResolver,
  ) {}

  async me() {
    const auth = currentAuth();
    if (!auth) throw new MissingTenantContextError();
    const { tenant } = this.tenants.forTenantId(auth.tenantId);
    const user = await this.db.autocommit((tx) =>
      tx.user.findFirstOrThrow({
        where: { id: auth.userId },
        select: { id: true, email: true, role: true, status: true, emailVerified: true, createdAt: true },
      }),
    );
    return {
      user,
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, tier: tenant.tier, model: tenant.model },
      roles: auth.roles,
    };
  }

  async changePassword(accessToken: string, previousPassword: string, proposedPassword: string): Promise<void> {
    const target = this.target();
    assertPasswordMeetsPolicy(proposedPassword, target.passwordPolicy, 'proposedPassword');
    await this.identity.changePassword(target.pool, accessToken, previousPassword, proposedPassword);
  }

  async startTotpSetup(accessToken: string): Promise<{ secretCode: string; otpauthUri: string }> {
    const target = this.target();
    const { secretCode } = await this.identity.associateSoftwareToken(target.pool, accessToken);
    const account = encodeURIComponent(`${target.tenant.slug}:${currentAuth()?.subject ?? 'user'}`);
    return {
      secretCode,
      otpauthUri: `otpauth://totp/Gatehouse:${account}?secret=${secretCode}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30`,
    };
  }

  async enableTotp(accessToken: string, code: string): Promise<void> {
    const target = this.target();
    await this.identity.verifySoftwareToken(target.pool, accessToken, code);
    await this.identity.setSoftwareTokenMfa(target.pool, accessToken, true);
  }

  async disableTotp(accessToken: string): Promise<void> {
    await this.identity.setSoftwareTokenMfa(this.target().pool, accessToken, false);
  }

  private target() {
    const auth = currentAuth();
    if (!auth) throw new MissingTenantContextError();
    return this.tenants.forTenantId(auth.tenantId);
  }
}
