-- Synchronous hooks: HTTP endpoints a tenant admin (for their tenant) or an
-- operator (platform-wide default, tenant_id NULL) configures, which Gatehouse
-- calls during sign-up, confirmation and sign-in (apps/api/src/events/hooks).
--
-- Platform data like the identity-provider registry: read and written only
-- through the privileged client (tenants module), because hooks run before any
-- tenant user is signed in. The application role gets no grant at all.
-- `secret` is the Standard Webhooks signing secret: Gatehouse needs it in the
-- clear to sign, so it is shown once at creation/rotation and never read back
-- by any route.
CREATE TABLE synchronous_hooks (
  id           uuid         NOT NULL DEFAULT gen_random_uuid(),
  tenant_id    uuid         REFERENCES tenants (id) ON DELETE CASCADE,
  kind         text         NOT NULL CHECK (kind IN ('pre_sign_up', 'post_confirmation', 'pre_authentication', 'token_enrichment')),
  url          text         NOT NULL,
  timeout_ms   integer      NOT NULL CHECK (timeout_ms BETWEEN 100 AND 5000),
  failure_mode text         NOT NULL CHECK (failure_mode IN ('open', 'closed')),
  secret       text         NOT NULL CHECK (secret LIKE 'whsec\_%'),
  enabled      boolean      NOT NULL DEFAULT true,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT synchronous_hooks_pkey PRIMARY KEY (id),
  -- A notification cannot block anything: "closed" would promise what it cannot do.
  CONSTRAINT synchronous_hooks_post_confirmation_open CHECK (kind <> 'post_confirmation' OR failure_mode = 'open')
);

-- One hook of each kind per tenant, and one platform default of each kind.
CREATE UNIQUE INDEX synchronous_hooks_tenant_kind_key ON synchronous_hooks (tenant_id, kind) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX synchronous_hooks_platform_kind_key ON synchronous_hooks (kind) WHERE tenant_id IS NULL;

ALTER TABLE synchronous_hooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE synchronous_hooks FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON synchronous_hooks TO gatehouse_privileged;
CREATE POLICY synchronous_hooks_privileged ON synchronous_hooks TO gatehouse_privileged USING (true) WITH CHECK (true);

-- Claims a token-enrichment hook returned at the user's last sign-in; shown
-- on /v1/me under `hookClaims`. Never roles or tenant: those come from tokens.
ALTER TABLE users ADD COLUMN hook_claims jsonb NOT NULL DEFAULT '{}';
