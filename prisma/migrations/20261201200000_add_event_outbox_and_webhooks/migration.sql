-- Lifecycle events (a transactional outbox) and webhook delivery.
--
-- event_outbox: every lifecycle change inserts its event in the SAME transaction
-- as the change (EventsService.emit), so an event exists exactly when its change
-- committed. tx_id records the inserting transaction: the relay hands events to
-- webhook endpoints only once every older transaction has ended, in (tx_id, id)
-- order, so no event can later appear "before" one that was already relayed.
--
-- Who sees what (row-level security, like audit_events):
-- - a tenant's admins read their tenant's events, endpoints, deliveries and
--   attempts (the webhook API under /v1/webhooks), and manage their endpoints;
-- - any tenant request may append an event for its own tenant (never another's);
-- - platform-wide events (tenant_id NULL) and platform endpoints are visible to
--   the privileged role only (operators' routes under /v1/admin/webhooks and the
--   delivery worker, which works across tenants).
CREATE TABLE event_outbox (
  id            bigserial    PRIMARY KEY,
  event_id      uuid         NOT NULL DEFAULT gen_random_uuid(),
  tx_id         xid8         NOT NULL DEFAULT pg_current_xact_id(),
  tenant_id     uuid,
  type          text         NOT NULL,
  version       integer      NOT NULL,
  data          jsonb        NOT NULL DEFAULT '{}',
  -- Set by producers that may send one fact twice (Cognito triggers retry): the second insert is skipped.
  dedupe_key    text,
  occurred_at   timestamptz(3) NOT NULL DEFAULT now(),
  relayed_at    timestamptz(3),
  CONSTRAINT event_outbox_event_id_key UNIQUE (event_id),
  CONSTRAINT event_outbox_dedupe_key_key UNIQUE (dedupe_key),
  CONSTRAINT event_outbox_type_format CHECK (type ~ '^[a-z_]+\.[a-z_]+$')
);
CREATE INDEX event_outbox_unrelayed_idx ON event_outbox (tx_id, id) WHERE relayed_at IS NULL;
CREATE INDEX event_outbox_tenant_idx ON event_outbox (tenant_id, id);

CREATE TABLE webhook_endpoints (
  id                         uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- NULL: an operator's platform-wide endpoint (receives every tenant's events).
  tenant_id                  uuid         REFERENCES tenants (id) ON DELETE CASCADE,
  url                        text         NOT NULL,
  description                text,
  event_types                text[]       NOT NULL,
  -- Standard Webhooks secrets (whsec_...). During a rotation the previous one still signs until it expires.
  secret                     text         NOT NULL,
  previous_secret            text,
  previous_secret_expires_at timestamptz(3),
  enabled                    boolean      NOT NULL DEFAULT true,
  disabled_reason            text,
  -- Start of the current run of failed attempts (NULL after any success): drives automatic disabling.
  failing_since              timestamptz(3),
  -- One delivery worker at a time per endpoint (per-endpoint ordering, no double sends).
  lease_owner                uuid,
  lease_expires_at           timestamptz(3),
  created_at                 timestamptz(3) NOT NULL DEFAULT now(),
  updated_at                 timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT webhook_endpoints_event_types_not_empty CHECK (cardinality(event_types) > 0)
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id);

CREATE TABLE webhook_deliveries (
  id              uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Queue position per endpoint: the worker always sends an endpoint's lowest pending seq first.
  seq             bigserial    NOT NULL,
  endpoint_id     uuid         NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- The endpoint's tenant (NULL for platform endpoints), for row-level security.
  tenant_id       uuid,
  event_id        bigint       NOT NULL REFERENCES event_outbox (id),
  status          text         NOT NULL DEFAULT 'pending',
  attempts        integer      NOT NULL DEFAULT 0,
  next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
  last_status     integer,
  last_error      text,
  -- A manual replay of an earlier delivery.
  replay_of       uuid,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  finished_at     timestamptz(3),
  CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'succeeded', 'failed'))
);
CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_tenant_idx ON webhook_deliveries (tenant_id);

CREATE TABLE webhook_delivery_attempts (
  id           bigserial    PRIMARY KEY,
  delivery_id  uuid         NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  tenant_id    uuid,
  attempted_at timestamptz(3) NOT NULL DEFAULT now(),
  status_code  integer,
  error        text,
  duration_ms  integer      NOT NULL
);
CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id);
CREATE INDEX webhook_delivery_attempts_tenant_idx ON webhook_delivery_attempts (tenant_id);

-- ---------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT ON event_outbox TO gatehouse_app;
GRANT SELECT, INSERT, UPDATE ON event_outbox TO gatehouse_privileged;
GRANT USAGE ON SEQUENCE event_outbox_id_seq TO gatehouse_app, gatehouse_privileged;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_deliveries, webhook_delivery_attempts
  TO gatehouse_app, gatehouse_privileged;
GRANT USAGE ON SEQUENCE webhook_deliveries_seq_seq, webhook_delivery_attempts_id_seq TO gatehouse_app, gatehouse_privileged;

-- ---------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------
ALTER TABLE event_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY event_outbox_select ON event_outbox FOR SELECT TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin');
CREATE POLICY event_outbox_insert ON event_outbox FOR INSERT TO gatehouse_app
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY event_outbox_privileged ON event_outbox FOR ALL TO gatehouse_privileged USING (true) WITH CHECK (true);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_tenant_admin ON webhook_endpoints FOR ALL TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin')
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND NULLIF(current_setting('app.role', true), '') = 'admin');
CREATE POLICY webhook_endpoints_privileged ON webhook_endpoints FOR ALL TO gatehouse_privileged USING (true) WITH CHECK (true);

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_tenant_admin ON webhook_deliveries FOR ALL TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin')
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
              AND NULLIF(current_setting('app.role', true), '') = 'admin');
CREATE POLICY webhook_deliveries_privileged ON webhook_deliveries FOR ALL TO gatehouse_privileged USING (true) WITH CHECK (true);

ALTER TABLE webhook_delivery_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_delivery_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_delivery_attempts_tenant_admin ON webhook_delivery_attempts FOR SELECT TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         AND NULLIF(current_setting('app.role', true), '') = 'admin');
CREATE POLICY webhook_delivery_attempts_privileged ON webhook_delivery_attempts FOR ALL TO gatehouse_privileged USING (true) WITH CHECK (true);
