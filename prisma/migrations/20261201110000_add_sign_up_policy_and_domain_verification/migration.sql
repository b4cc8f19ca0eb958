-- Who may join a tenant, and proof that a tenant owns an e-mail domain.
--
-- 1. tenants.sign_up_policy decides who may create an account through the
--    public sign-up: 'closed' (invitations only), 'domains' (addresses of the
--    tenant's VERIFIED e-mail domains), 'open'. Every tenant starts 'closed',
--    including those that existed before this migration (fail closed: an
--    operator reopens a tenant deliberately). tenants.sign_up_default_role is
--    the role self-sign-ups get; never 'admin'.
-- 2. tenant_email_domains gains a verification state: a domain is 'pending'
--    until a DNS TXT record proves the tenant controls it, then 'verified'
--    (with verified_at). Only verified domains route (tenant lookup by e-mail)
--    or admit sign-ups. Existing domains start pending: nobody proved them.
-- 3. Domain ownership is global among VERIFIED domains only: several tenants
--    may claim one domain while it is pending (so nobody can squat a domain by
--    claiming it first), but at most one can ever have it verified — the
--    partial unique index decides, also under concurrency.

CREATE TYPE "sign_up_policy" AS ENUM ('closed', 'domains', 'open');
CREATE TYPE "email_domain_status" AS ENUM ('pending', 'verified');

ALTER TABLE "tenants"
  ADD COLUMN "sign_up_policy" "sign_up_policy" NOT NULL DEFAULT 'closed',
  ADD COLUMN "sign_up_default_role" "tenant_role" NOT NULL DEFAULT 'member',
  ADD CONSTRAINT "tenants_sign_up_default_role_not_admin" CHECK ("sign_up_default_role" <> 'admin');

ALTER TABLE "tenant_email_domains"
  ADD COLUMN "status" "email_domain_status" NOT NULL DEFAULT 'pending',
  -- Random per (tenant, domain); the application sets it, the default only fills existing rows.
  ADD COLUMN "verification_token" TEXT NOT NULL
    DEFAULT replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''),
  ADD COLUMN "verified_at" TIMESTAMPTZ(3),
  ADD COLUMN "last_checked_at" TIMESTAMPTZ(3),
  ADD COLUMN "last_check_error" TEXT,
  ADD CONSTRAINT "tenant_email_domains_verified_at" CHECK (("status" = 'verified') = ("verified_at" IS NOT NULL));

DROP INDEX "tenant_email_domains_domain_key";
CREATE UNIQUE INDEX "tenant_email_domains_tenant_id_domain_key" ON "tenant_email_domains" ("tenant_id", "domain");
CREATE UNIQUE INDEX "tenant_email_domains_verified_domain_key" ON "tenant_email_domains" ("domain") WHERE "status" = 'verified';
CREATE INDEX "tenant_email_domains_domain_idx" ON "tenant_email_domains" ("domain");
