-- A tenant's admins can never leave the tenant without an active admin.
--
-- The API refuses an admin demoting, disabling or removing themselves, but two
-- admins acting on each other at the same moment each see the other still an
-- admin, and both changes commit: no admin is left. A check in application code
-- cannot see the other transaction's uncommitted change, so the rule lives here:
--
-- * An AFTER row trigger fires only for a change that takes away an active admin
--   (role admin and status active before; not both after, or the row deleted).
-- * It takes a transaction-level advisory lock per tenant, so two such changes in
--   one tenant serialise: the second waits until the first commits or rolls back.
-- * Then it counts the tenant's active admins. Under READ COMMITTED (Prisma's and
--   Postgres' default) each statement of a volatile PL/pgSQL function takes a new
--   snapshot, so this count, taken after the lock, sees the first change committed.
--   Zero raises SQLSTATE GH409, which the API answers as 409 `last_admin`.
--
-- The rule binds writes made as a tenant (app.tenant_id set by TenantDb: tenant
-- admins through the API). Operators' privileged work (tenant deletion removes
-- every user, support may demote an admin) is not a tenant acting on itself and
-- is left to the operator.

CREATE FUNCTION users_keep_an_active_admin() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  remaining integer;
BEGIN
  IF NOT (OLD.role = 'admin' AND OLD.status = 'active') THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NEW.role = 'admin' AND NEW.status = 'active' THEN
      RETURN NULL;
    END IF;
  END IF;
  IF NULLIF(current_setting('app.tenant_id', true), '') IS NULL THEN
    RETURN NULL;
  END IF;
  -- Two-key form (class 4091 = this rule), so it never collides with other advisory locks.
  PERFORM pg_advisory_xact_lock(4091, hashtext(OLD.tenant_id::text));
  SELECT count(*) INTO remaining
    FROM users
   WHERE tenant_id = OLD.tenant_id AND role = 'admin' AND status = 'active';
  IF remaining = 0 THEN
    RAISE EXCEPTION 'the tenant would have no active admin'
      USING ERRCODE = 'GH409', HINT = 'keep at least one active admin in every tenant';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER users_keep_an_active_admin AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION users_keep_an_active_admin();
