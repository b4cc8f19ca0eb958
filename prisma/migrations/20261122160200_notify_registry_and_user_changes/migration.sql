-- Every API replica keeps the trusted-issuer registry and a cache of verified
-- users in memory. These triggers tell all of them, at commit, that something
-- changed, whoever changed it (an API replica, an operator's SQL, a migration):
--   channel gatehouse_registry, payload: the tenant id
--   channel gatehouse_users,    payload: <tenant id>:<user id>
-- Postgres delivers NOTIFY only when the transaction commits, and drops
-- duplicates within one transaction, so a provisioning step that touches five
-- rows of one tenant wakes the replicas once.

CREATE FUNCTION gatehouse_notify_registry_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  -- Branch by table first: plpgsql does not short-circuit, and tenants has no tenant_id.
  IF TG_TABLE_NAME = 'tenants' THEN
    PERFORM pg_notify('gatehouse_registry', COALESCE(NEW.id, OLD.id)::text);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM pg_notify('gatehouse_registry', NEW.tenant_id::text);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('gatehouse_registry', OLD.tenant_id::text);
  ELSE
    PERFORM pg_notify('gatehouse_registry', NEW.tenant_id::text);
    IF NEW.tenant_id <> OLD.tenant_id THEN
      PERFORM pg_notify('gatehouse_registry', OLD.tenant_id::text);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER tenants_notify AFTER INSERT OR UPDATE OR DELETE ON tenants
  FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_registry_change();
CREATE TRIGGER tenant_hosts_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_hosts
  FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_registry_change();
CREATE TRIGGER tenant_email_domains_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_email_domains
  FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_registry_change();
CREATE TRIGGER tenant_app_clients_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_app_clients
  FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_registry_change();
CREATE TRIGGER tenant_identity_providers_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_identity_providers
  FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_registry_change();

CREATE FUNCTION gatehouse_notify_user_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gatehouse_users', OLD.tenant_id::text || ':' || OLD.id::text);
  RETURN NULL;
END
$$;

-- Inserts need no notice: a user nobody has cached yet cannot be stale.
CREATE TRIGGER users_notify AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_user_change();
