-- A tenant admin's own synchronous hooks (/v1/hooks) are read and written as
-- the application role under row-level security, like webhook endpoints: the
-- database, not only the service, keeps one tenant's admins out of another
-- tenant's hooks and out of the platform defaults (tenant_id NULL never equals
-- the setting). Sign-up/sign-in still read the effective hook through the
-- privileged client, because no tenant user is signed in yet.
--
-- The signing secret can be written (creation, rotation) but never read back
-- by the application role: it is shown once, from memory, and only the
-- privileged reader that signs calls sees it.
GRANT SELECT (id, tenant_id, kind, url, timeout_ms, failure_mode, enabled, created_at, updated_at),
      INSERT, UPDATE, DELETE
  ON synchronous_hooks TO gatehouse_app;

CREATE POLICY synchronous_hooks_tenant_admin ON synchronous_hooks FOR ALL TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin')
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND NULLIF(current_setting('app.role', true), '') = 'admin');
