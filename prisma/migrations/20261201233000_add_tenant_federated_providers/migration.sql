-- Identity providers federated THROUGH COGNITO (SAML, OIDC, Google, Facebook,
-- Apple, Amazon) for bridge and silo tenants. Part of the tenant registry:
-- read by the API (lookup's `cognito-hosted` entries, federated users' default
-- role), written only through the privileged client. Secrets (client secrets,
-- private keys, metadata documents) are sent to Cognito and never stored here.
CREATE TABLE "tenant_federated_providers" (
  "id"              UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"       UUID NOT NULL,
  -- Cognito's provider name (the `identity_provider` parameter; `<name>_<subject>` usernames).
  "name"            TEXT NOT NULL,
  "type"            TEXT NOT NULL,
  "display_name"    TEXT NOT NULL,
  "default_role"    "tenant_role" NOT NULL DEFAULT 'member',
  -- What may be shown back (publicProviderView): never a secret.
  "settings"        JSONB NOT NULL DEFAULT '{}',
  "callback_urls"   TEXT[] NOT NULL,
  "logout_urls"     TEXT[] NOT NULL DEFAULT '{}',
  -- The hosted UI's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`).
  "hosted_ui_domain" TEXT NOT NULL,
  "created_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "tenant_federated_providers_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "tenant_federated_providers_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  -- A federated user's default role is never admin (promote them in Gatehouse).
  CONSTRAINT "tenant_federated_providers_default_role_check" CHECK ("default_role" <> 'admin')
);
CREATE UNIQUE INDEX "tenant_federated_providers_tenant_id_name_key" ON "tenant_federated_providers" ("tenant_id", "name");

GRANT SELECT ON tenant_federated_providers TO gatehouse_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_federated_providers TO gatehouse_privileged;

CREATE TRIGGER tenant_federated_providers_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_federated_providers
  FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_registry_change();
