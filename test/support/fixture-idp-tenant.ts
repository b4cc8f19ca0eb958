/**
 * A tenant that trusts an OpenID Connect issuer whose keys the test makes (a
 * JWKS server on loopback): tokens for API replicas in other processes without
 * going through Cognito. Users are created just in time on their first request.
 */
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import { uniqueSlug } from './factories.js';
import { type JwksServer, startJwksServer } from './jwks-server.js';
import { generateRsaKey, signJwt } from './jwt.js';

export interface FixtureIdpTenant {
  readonly tenantId: string;
  readonly idp: JwksServer;
  /** An access token for `sub` (role: member by default). */
  token(sub?: string): string;
}

export async function createFixtureIdpTenant(privileged: PrismaClient): Promise<FixtureIdpTenant> {
  const key = generateRsaKey();
  const slug = uniqueSlug('fx');
  const idp = await startJwksServer({ path: `/${slug}`, keys: [key] });
  const audience = `gatehouse-${slug}`;
  const tenant = await privileged.tenant.create({
    data: { slug, name: `Tenant ${slug}`, tier: 'basic', isolationModel: 'pool', status: 'active', region: 'us-east-1' },
  });
  await privileged.tenantIdentityProvider.create({
    data: { tenantId: tenant.id, issuer: idp.issuer, audience, jwksUri: idp.jwksUri, claimMapping: { defaultRole: 'member' } },
  });
  return {
    tenantId: tenant.id,
    idp,
    token(sub = 'fixture-user') {
      const now = Math.floor(Date.now() / 1000);
      return signJwt(
        { iss: idp.issuer, aud: audience, sub, email: `${sub}@${slug}.test`, iat: now, exp: now + 600 },
        { alg: 'RS256', key: key.privateKey, kid: key.kid },
      );
    },
  };
}
