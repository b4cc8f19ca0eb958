-- Front-channel sign-in at a tenant's own OpenID Connect provider (authorization code + PKCE from
-- the browser), next to the bearer trust the row already gives. The public client id is set by an
-- operator; the two endpoints come from the provider's discovery document, fetched by the API when
-- the client id is set (never at lookup time, never from a token). All null: no browser sign-in.
ALTER TABLE "tenant_identity_providers"
  ADD COLUMN "browser_client_id" TEXT,
  ADD COLUMN "browser_scopes" TEXT[] NOT NULL DEFAULT ARRAY['openid', 'email', 'profile']::TEXT[],
  ADD COLUMN "authorization_endpoint" TEXT,
  ADD COLUMN "token_endpoint" TEXT,
  -- Either all three are set or none: a half-configured provider must not appear in lookup.
  ADD CONSTRAINT "tenant_identity_providers_browser_sign_in_complete" CHECK (
    ("browser_client_id" IS NULL AND "authorization_endpoint" IS NULL AND "token_endpoint" IS NULL)
    OR ("browser_client_id" IS NOT NULL AND "authorization_endpoint" IS NOT NULL AND "token_endpoint" IS NOT NULL)
  );
