-- Every pool has two kinds of app clients (libs/tiers, the pool contract):
-- `public` (no secret; front ends sign in at Cognito directly) and
-- `gatehouse` (confidential; the API's own flows; the only client that may
-- write the tenant attributes). Tokens of either resolve the tenant; the API
-- picks the Gatehouse client for its own calls. Clients registered before
-- this migration were public.
ALTER TABLE "tenant_app_clients"
  ADD COLUMN "role" TEXT NOT NULL DEFAULT 'public',
  ADD CONSTRAINT "tenant_app_clients_role_check" CHECK ("role" IN ('public', 'gatehouse'));
