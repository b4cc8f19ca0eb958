/**
 * The one passport-jwt strategy. Its key provider is the security boundary:
 * it reads only `iss`, `kid` and `alg` from the unverified token, refuses an
 * issuer that is not in the registry before any network call, refuses an
 * algorithm the issuer does not use, and takes the key from that issuer's
 * registered JWKS. Header fields that point elsewhere (`jku`, `x5u`, `jwk`,
 * `x5c`) are never read. jsonwebtoken then verifies the signature with the
 * issuer's algorithms only, and `exp`/`nbf` with the configured clock skew;
 * a token without `exp` is refused.
 */
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import type { AccessPolicy } from './access.decorators.js';
import { UnauthenticatedError } from './auth.errors.js';
import { peekToken } from './bearer-token.js';
import { EXTERNAL_ALGORITHMS } from './issuer-registry.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { type Claims, type Principal, PrincipalResolver } from './principal-resolver.js';
import { TrustedIssuersService } from './trusted-issuers.service.js';

export const GATEHOUSE_JWT = 'gatehouse-jwt';
/** Where the guard leaves the route's access policy for the strategy. */
export const ACCESS_POLICY_KEY = Symbol('gatehouse.accessPolicy');

export type RequestWithPolicy = FastifyRequest & { [ACCESS_POLICY_KEY]?: Extract<AccessPolicy, { kind: 'authenticated' }> };

@Injectable()
export class GatehouseJwtStrategy extends PassportStrategy(Strategy, GATEHOUSE_JWT) {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    issuers: TrustedIssuersService,
    keys: JwksKeyStore,
    private readonly resolver: PrincipalResolver,
  ) {
    const options = {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      passReqToCallback: true,
      ignoreExpiration: false,
      // The union of what any issuer may use; each issuer's own list is enforced in the key provider.
      algorithms: [...EXTERNAL_ALGORITHMS],
      jsonWebTokenOptions: { clockTolerance: config.env.TOKEN_CLOCK_SKEW_SECONDS },
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (error: unknown, key?: unknown) => void) => {
        const unverified = (() => {
          try {
            return peekToken(rawToken);
          } catch (error) {
            return error as UnauthenticatedError;
          }
        })();
        if (unverified instanceof Error) return done(unverified);
        const issuer = issuers.registry.issuer(unverified.iss);
        if (!issuer) {
          return done(new UnauthenticatedError('untrusted_issuer', 'The token was not issued by a trusted issuer.'));
        }
        if (!issuer.algorithms.includes(unverified.alg)) {
          return done(new UnauthenticatedError('invalid_token', `The ${unverified.alg} algorithm is not accepted from this issuer.`));
        }
        keys.getKey(issuer.issuer, issuer.jwksUri, unverified.kid).then(
          (key) => done(null, key),
          (error: unknown) => done(error),
        );
      },
    };
    // passport-jwt's types say the key is a string or Buffer; jsonwebtoken also takes the KeyObject we pass.
    super(options as unknown as StrategyOptionsWithRequest);
  }

  async validate(request: RequestWithPolicy, claims: Claims): Promise<Principal> {
    const policy = request[ACCESS_POLICY_KEY];
    if (!policy) throw new UnauthenticatedError('invalid_token', 'No access policy for this route.');
    // jsonwebtoken checks `exp` only when the token has one: a token without an expiry would never expire.
    if (typeof claims['exp'] !== 'number') throw new UnauthenticatedError('invalid_token', 'The token has no expiry (exp).');
    return this.resolver.resolve(claims, policy.tokenUse, {
      hostname: request.hostname,
      tenantHeader: request.headers['x-tenant-id'],
    });
  }
}
