-- The audit trail gains the client address (as the API derives it: the
-- right-most X-Forwarded-For hop outside TRUSTED_PROXY_CIDRS, else the peer),
-- an index for the filters the read API offers, and a retention purge.
ALTER TABLE audit_events ADD COLUMN client_ip inet;
CREATE INDEX audit_events_created_at_idx ON audit_events (created_at);

-- Audit events stay append-only for every role: no UPDATE, DELETE or TRUNCATE
-- grant, and the trigger refuses them anyway. The one exception is the
-- retention purge below, which runs as the owner (SECURITY DEFINER) and marks
-- its own transaction; it removes only rows older than the cutoff, never rows
-- younger than one day (a compromised API cannot erase recent history), in
-- bounded batches.
CREATE OR REPLACE FUNCTION audit_events_are_append_only() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('gatehouse.audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- The owner is subject to row-level security too (FORCE) and had no policy:
-- give it exactly what the purge needs, on old rows only.
CREATE POLICY audit_events_purge_select ON audit_events FOR SELECT TO CURRENT_USER
  USING (created_at < now() - interval '1 day');
CREATE POLICY audit_events_purge_delete ON audit_events FOR DELETE TO CURRENT_USER
  USING (created_at < now() - interval '1 day');

CREATE FUNCTION purge_audit_events(cutoff timestamptz, batch_size integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  removed integer;
BEGIN
  IF cutoff IS NULL OR cutoff > now() - interval '1 day' THEN
    RAISE EXCEPTION 'audit events younger than one day are never purged' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF batch_size IS NULL OR batch_size < 1 OR batch_size > 10000 THEN
    RAISE EXCEPTION 'batch_size must be 1-10000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('gatehouse.audit_purge', 'on', true);
  DELETE FROM audit_events
   WHERE id IN (SELECT id FROM audit_events WHERE created_at < cutoff ORDER BY id LIMIT batch_size);
  GET DIAGNOSTICS removed = ROW_COUNT;
  PERFORM set_config('gatehouse.audit_purge', 'off', true);
  RETURN removed;
END;
$$;

REVOKE ALL ON FUNCTION purge_audit_events(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_audit_events(timestamptz, integer) TO gatehouse_privileged;
