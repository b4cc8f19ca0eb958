-- Tenant and role isolation in Postgres itself.
--
-- Every request for tenant data runs as gatehouse_app inside a transaction that
-- first sets, with set_config(..., true) (transaction-local):
--   app.tenant_id  the verified tenant (uuid)
--   app.user_id    the verified user (uuid)
--   app.role       admin | member | viewer
-- The policies below decide which rows exist for that request. With no context
-- the settings are '' or unset, NULLIF turns that into NULL, and NULL matches no
-- row: no context means no rows (fail closed), never an error that leaks.
--
-- gatehouse_privileged is used only by the tenants module for the registry and
-- operators' work (provisioning, cross-tenant lookups of verified identities).
-- It is an ordinary role with one explicit "all rows" policy per table rather
-- than BYPASSRLS: managed Postgres (RDS) cannot grant BYPASSRLS, and an explicit
-- policy is visible in review. The owner (gatehouse_owner) is subject to the
-- policies too (FORCE) and has none that grant it rows.

-- ---------------------------------------------------------------------------
-- Grants: nothing by default, then exactly what each role needs.
-- ---------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO gatehouse_app, gatehouse_privileged;

-- The registry is readable by the API (routing, issuer registry) but written
-- only through the privileged client.
GRANT SELECT ON tenants, tenant_hosts, tenant_email_domains, tenant_app_clients, tenant_identity_providers
  TO gatehouse_app;
GRANT SELECT, INSERT, UPDATE, DELETE
  ON tenants, tenant_hosts, tenant_email_domains, tenant_app_clients, tenant_identity_providers
  TO gatehouse_privileged;

GRANT SELECT, INSERT, UPDATE, DELETE ON users, projects, tasks TO gatehouse_app, gatehouse_privileged;

-- Audit events are append-only for everybody.
GRANT SELECT, INSERT ON audit_events TO gatehouse_app, gatehouse_privileged;
GRANT USAGE ON SEQUENCE audit_events_id_seq TO gatehouse_app, gatehouse_privileged;

-- ---------------------------------------------------------------------------
-- users: visible within the tenant; only a tenant admin writes.
-- ---------------------------------------------------------------------------
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;

CREATE POLICY users_select ON users FOR SELECT TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE POLICY users_insert ON users FOR INSERT TO gatehouse_app
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND NULLIF(current_setting('app.role', true), '') = 'admin');

CREATE POLICY users_update ON users FOR UPDATE TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin')
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND NULLIF(current_setting('app.role', true), '') = 'admin');

CREATE POLICY users_delete ON users FOR DELETE TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin');

-- ---------------------------------------------------------------------------
-- projects and tasks: visible within the tenant; viewer cannot write; member
-- writes only rows it owns; admin writes any row of its tenant.
-- ---------------------------------------------------------------------------
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;

CREATE POLICY projects_select ON projects FOR SELECT TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE POLICY projects_insert ON projects FOR INSERT TO gatehouse_app
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND (NULLIF(current_setting('app.role', true), '') = 'admin'
                   OR (NULLIF(current_setting('app.role', true), '') = 'member'
                       AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)));

CREATE POLICY projects_update ON projects FOR UPDATE TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND (NULLIF(current_setting('app.role', true), '') = 'admin'
              OR (NULLIF(current_setting('app.role', true), '') = 'member'
                  AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)))
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND (NULLIF(current_setting('app.role', true), '') = 'admin'
                   OR (NULLIF(current_setting('app.role', true), '') = 'member'
                       AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)));

CREATE POLICY projects_delete ON projects FOR DELETE TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND (NULLIF(current_setting('app.role', true), '') = 'admin'
              OR (NULLIF(current_setting('app.role', true), '') = 'member'
                  AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)));

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;

CREATE POLICY tasks_select ON tasks FOR SELECT TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE POLICY tasks_insert ON tasks FOR INSERT TO gatehouse_app
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND (NULLIF(current_setting('app.role', true), '') = 'admin'
                   OR (NULLIF(current_setting('app.role', true), '') = 'member'
                       AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)));

CREATE POLICY tasks_update ON tasks FOR UPDATE TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND (NULLIF(current_setting('app.role', true), '') = 'admin'
              OR (NULLIF(current_setting('app.role', true), '') = 'member'
                  AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)))
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND (NULLIF(current_setting('app.role', true), '') = 'admin'
                   OR (NULLIF(current_setting('app.role', true), '') = 'member'
                       AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)));

CREATE POLICY tasks_delete ON tasks FOR DELETE TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND (NULLIF(current_setting('app.role', true), '') = 'admin'
              OR (NULLIF(current_setting('app.role', true), '') = 'member'
                  AND owner_id = NULLIF(current_setting('app.user_id', true), '')::uuid)));

-- ---------------------------------------------------------------------------
-- audit_events: a tenant's admins read its events; any request may append an
-- event for its own tenant; nobody updates or deletes (trigger below).
-- ---------------------------------------------------------------------------
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;

CREATE POLICY audit_events_select ON audit_events FOR SELECT TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin');

CREATE POLICY audit_events_insert ON audit_events FOR INSERT TO gatehouse_app
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE FUNCTION audit_events_are_append_only() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();

CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();

-- ---------------------------------------------------------------------------
-- The privileged role (tenants module only) sees and writes every tenant's
-- rows, except that audit events stay append-only (trigger above).
-- ---------------------------------------------------------------------------
CREATE POLICY users_privileged ON users TO gatehouse_privileged USING (true) WITH CHECK (true);
CREATE POLICY projects_privileged ON projects TO gatehouse_privileged USING (true) WITH CHECK (true);
CREATE POLICY tasks_privileged ON tasks TO gatehouse_privileged USING (true) WITH CHECK (true);
CREATE POLICY audit_events_privileged_select ON audit_events FOR SELECT TO gatehouse_privileged USING (true);
CREATE POLICY audit_events_privileged_insert ON audit_events FOR INSERT TO gatehouse_privileged WITH CHECK (true);
