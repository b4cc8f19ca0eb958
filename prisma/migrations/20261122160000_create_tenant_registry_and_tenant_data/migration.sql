-- Tenant registry and tenant-owned tables. Row-level security is added by the
-- next migration, so that it can be reviewed on its own.
--
-- Runs as the owner role (gatehouse_owner). The application roles
-- (gatehouse_app, gatehouse_privileged) are created beforehand by
-- tools/db/bootstrap.ts, because creating login roles needs rights and
-- passwords that do not belong in a migration.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_app')
     OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_privileged') THEN
    RAISE EXCEPTION 'roles gatehouse_app and gatehouse_privileged must exist: run the database bootstrap (tools/db/bootstrap) before migrating';
  END IF;
END
$$;

CREATE TYPE "isolation_model" AS ENUM ('silo', 'pool', 'bridge');
CREATE TYPE "tenant_status" AS ENUM ('provisioning', 'active', 'suspended', 'deleting', 'deleted', 'failed');
CREATE TYPE "user_status" AS ENUM ('pending', 'active', 'disabled');
CREATE TYPE "tenant_role" AS ENUM ('admin', 'member', 'viewer');

-- ---------------------------------------------------------------------------
-- Tenant registry (platform data)
-- ---------------------------------------------------------------------------

CREATE TABLE "tenants" (
  "id"              UUID NOT NULL DEFAULT gen_random_uuid(),
  "slug"            TEXT NOT NULL,
  "name"            TEXT NOT NULL,
  "tier"            TEXT NOT NULL,
  "isolation_model" "isolation_model" NOT NULL,
  "status"          "tenant_status" NOT NULL DEFAULT 'provisioning',
  "region"          TEXT NOT NULL,
  "user_pool_id"    TEXT,
  "issuer"          TEXT,
  "password_policy" JSONB,
  "mfa"             TEXT,
  "provisioning"    JSONB NOT NULL DEFAULT '{}',
  "created_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "suspended_at"    TIMESTAMPTZ(3),
  "deleted_at"      TIMESTAMPTZ(3),
  CONSTRAINT "tenants_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "tenants_slug_format" CHECK ("slug" ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$')
);
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants" ("slug");
CREATE INDEX "tenants_tier_status_idx" ON "tenants" ("tier", "status");

CREATE TABLE "tenant_hosts" (
  "id"         UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"  UUID NOT NULL,
  "host"       TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "tenant_hosts_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "tenant_hosts_host_lower" CHECK ("host" = lower("host")),
  CONSTRAINT "tenant_hosts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "tenant_hosts_host_key" ON "tenant_hosts" ("host");
CREATE INDEX "tenant_hosts_tenant_id_idx" ON "tenant_hosts" ("tenant_id");

CREATE TABLE "tenant_email_domains" (
  "id"         UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"  UUID NOT NULL,
  "domain"     TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "tenant_email_domains_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "tenant_email_domains_domain_lower" CHECK ("domain" = lower("domain")),
  CONSTRAINT "tenant_email_domains_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "tenant_email_domains_domain_key" ON "tenant_email_domains" ("domain");
CREATE INDEX "tenant_email_domains_tenant_id_idx" ON "tenant_email_domains" ("tenant_id");

CREATE TABLE "tenant_app_clients" (
  "id"           UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"    UUID NOT NULL,
  "client_id"    TEXT NOT NULL,
  "user_pool_id" TEXT NOT NULL,
  "issuer"       TEXT NOT NULL,
  "dedicated"    BOOLEAN NOT NULL DEFAULT true,
  "created_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "tenant_app_clients_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "tenant_app_clients_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "tenant_app_clients_client_id_key" ON "tenant_app_clients" ("client_id");
CREATE INDEX "tenant_app_clients_tenant_id_idx" ON "tenant_app_clients" ("tenant_id");
CREATE INDEX "tenant_app_clients_issuer_idx" ON "tenant_app_clients" ("issuer");

CREATE TABLE "tenant_identity_providers" (
  "id"            UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"     UUID NOT NULL,
  "issuer"        TEXT NOT NULL,
  "audience"      TEXT NOT NULL,
  "jwks_uri"      TEXT NOT NULL,
  "claim_mapping" JSONB NOT NULL DEFAULT '{}',
  "enabled"       BOOLEAN NOT NULL DEFAULT true,
  "created_at"    TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "tenant_identity_providers_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "tenant_identity_providers_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "tenant_identity_providers_issuer_key" ON "tenant_identity_providers" ("issuer");
CREATE INDEX "tenant_identity_providers_tenant_id_idx" ON "tenant_identity_providers" ("tenant_id");

-- ---------------------------------------------------------------------------
-- Tenant-owned data. Keys include tenant_id so that a key clash can never be
-- caused by (and so never reveal) another tenant's row.
-- ---------------------------------------------------------------------------

CREATE TABLE "users" (
  "id"             UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"      UUID NOT NULL,
  "email"          TEXT NOT NULL,
  "username"       TEXT NOT NULL,
  "issuer"         TEXT NOT NULL,
  "sub"            TEXT,
  "status"         "user_status" NOT NULL DEFAULT 'pending',
  "role"           "tenant_role" NOT NULL DEFAULT 'member',
  "email_verified" BOOLEAN NOT NULL DEFAULT false,
  "created_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "users_pkey" PRIMARY KEY ("tenant_id", "id"),
  CONSTRAINT "users_email_lower" CHECK ("email" = lower("email")),
  CONSTRAINT "users_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "users_tenant_id_email_key" ON "users" ("tenant_id", "email");
-- A verified (issuer, sub) names exactly one user, whichever tenant it is in:
-- this is how the guard finds a pool-model user's tenant.
CREATE UNIQUE INDEX "users_issuer_sub_key" ON "users" ("issuer", "sub");
CREATE UNIQUE INDEX "users_issuer_username_key" ON "users" ("issuer", "username");

CREATE TABLE "projects" (
  "id"          UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"   UUID NOT NULL,
  "owner_id"    UUID NOT NULL,
  "name"        TEXT NOT NULL,
  "description" TEXT,
  "created_at"  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at"  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "projects_pkey" PRIMARY KEY ("tenant_id", "id"),
  CONSTRAINT "projects_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "projects_tenant_id_owner_id_fkey" FOREIGN KEY ("tenant_id", "owner_id") REFERENCES "users" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "projects_tenant_id_name_key" ON "projects" ("tenant_id", "name");
CREATE INDEX "projects_tenant_id_created_at_idx" ON "projects" ("tenant_id", "created_at");

CREATE TABLE "tasks" (
  "id"         UUID NOT NULL DEFAULT gen_random_uuid(),
  "tenant_id"  UUID NOT NULL,
  "project_id" UUID NOT NULL,
  "owner_id"   UUID NOT NULL,
  "title"      TEXT NOT NULL,
  "done"       BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "tasks_pkey" PRIMARY KEY ("tenant_id", "id"),
  CONSTRAINT "tasks_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "tasks_tenant_id_project_id_fkey" FOREIGN KEY ("tenant_id", "project_id") REFERENCES "projects" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "tasks_tenant_id_owner_id_fkey" FOREIGN KEY ("tenant_id", "owner_id") REFERENCES "users" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "tasks_tenant_id_project_id_idx" ON "tasks" ("tenant_id", "project_id");

CREATE TABLE "audit_events" (
  "id"         BIGSERIAL NOT NULL,
  "tenant_id"  UUID,
  "actor_id"   TEXT,
  "actor_type" TEXT NOT NULL,
  "action"     TEXT NOT NULL,
  "target"     TEXT,
  "outcome"    TEXT NOT NULL,
  "request_id" TEXT,
  "details"    JSONB NOT NULL DEFAULT '{}',
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_events_tenant_id_created_at_idx" ON "audit_events" ("tenant_id", "created_at");
CREATE INDEX "audit_events_action_created_at_idx" ON "audit_events" ("action", "created_at");
