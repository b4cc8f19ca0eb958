-- The project list pages newest first by (created_at, id) inside one tenant, and the
-- row-level-security policy supplies the tenant: `tenant_id = NULLIF(current_setting(
-- 'app.tenant_id', true), '')::uuid`, a stable expression Postgres uses as an index
-- condition. With (tenant_id, created_at) alone, ties on created_at (rows written in
-- the same millisecond) needed an incremental sort of the tenant's rows; with id as
-- the last column, `ORDER BY created_at DESC, id DESC LIMIT n` (and the keyset cursor
-- `(created_at, id) < (…)`) is one backward index scan that stops after n rows,
-- however many rows the tenant or the table holds. The old index is its prefix.
CREATE INDEX projects_tenant_id_created_at_id_idx ON projects (tenant_id, created_at, id);
DROP INDEX projects_tenant_id_created_at_idx;
