/**
 * The signed-in user's own account: who am I, change my password, TOTP MFA.
 * Reads go through TenantDb (row-level security); Cognito calls use the
 * caller's own access token, so Cognito itself checks it is theirs.
 */
import { Injectable } from '@nestjs/common';
import { ConflictError, MissingTenantContextError } from '../common/domain-error.js';
import { ForbiddenError } from '../auth/auth.errors.js';
import { UserMirror } from '../tenants/user-mirror.js';
import { TenantDb } from '../database/tenant-db.js';
import { currentAuth } from '../tenancy/request-context.js';
import { IdentityProvider } from './identity-provider.js';
import { assertPasswordMeetsPolicy } from './password-policy.js';
import { TenantIdentityResolver } from './tenant-identity.js';
import { otpauthUri } from './totp-uri.js';

@Injectable()
export class MeService {
  constructor(
    private readonly db: TenantDb,
    private readonly identity: IdentityProvider,
    private readonly tenants: TenantIdentityResolver,
    private readonly mirror: UserMirror,
  ) {}

  async me() {
    const auth = currentAuth();
    if (!auth) throw new MissingTenantContextError();
    const { tenant } = this.tenants.forTenantId(auth.tenantId);
    const row = await this.db.autocommit((tx) =>
      tx.user.findFirstOrThrow({
        where: { id: auth.userId },
        select: { id: true, email: true, role: true, status: true, emailVerified: true, createdAt: true, hookClaims: true },
      }),
    );
    const { hookClaims, ...account } = row;
    return {
      user: account,
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, tier: tenant.tier, model: tenant.model },
      roles: auth.roles,
      // The tenant's token-enrichment hook's claims from the last sign-in: namespaced, never roles or tenant.
      hookClaims,
    };
  }

  async changePassword(accessToken: string, previousPassword: string, proposedPassword: string): Promise<void> {
    const target = this.target();
    assertPasswordMeetsPolicy(proposedPassword, target.passwordPolicy, 'proposedPassword');
    await this.identity.changePassword(target.pool, accessToken, previousPassword, proposedPassword);
  }

  async startTotpSetup(accessToken: string): Promise<{ secretCode: string; otpauthUri: string }> {
    const target = this.target();
    if (target.tenant.mfaPolicy === 'off') {
      throw new ForbiddenError('mfa_off_for_tenant', 'This tenant does not use MFA.');
    }
    const { secretCode } = await this.identity.associateSoftwareToken(target.pool, accessToken);
    const account = `${target.tenant.slug}:${currentAuth()?.subject ?? 'user'}`;
    return { secretCode, otpauthUri: otpauthUri('Gatehouse', account, secretCode) };
  }

  async enableTotp(accessToken: string, code: string): Promise<void> {
    const target = this.target();
    await this.identity.verifySoftwareToken(target.pool, accessToken, code);
    await this.identity.setSoftwareTokenMfa(target.pool, accessToken, true);
    await this.mirror.setMfaEnrolled(target.tenant.id, this.auth().userId, true);
  }

  async disableTotp(accessToken: string): Promise<void> {
    const target = this.target();
    if (target.tenant.mfaPolicy === 'required') {
      throw new ConflictError('mfa_required_by_tenant', 'This tenant requires MFA: TOTP cannot be turned off.');
    }
    await this.identity.setSoftwareTokenMfa(target.pool, accessToken, false);
    await this.mirror.setMfaEnrolled(target.tenant.id, this.auth().userId, false);
  }

  private auth() {
    const auth = currentAuth();
    if (!auth) throw new MissingTenantContextError();
    return auth;
  }

  private target() {
    return this.tenants.forTenantId(this.auth().tenantId);
  }
}
