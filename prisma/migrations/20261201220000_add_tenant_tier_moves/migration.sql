-- Moving a live tenant between tiers (pool <-> bridge <-> silo).
--
-- tenants.tier_move holds the persisted tier-move state machine (like
-- tenants.provisioning): the target, the steps done and what each created,
-- the lease of the replica running it. NULL: the tenant never moved.
ALTER TABLE tenants ADD COLUMN tier_move JSONB;

-- During a move every user has two Cognito identities: the one in users
-- (issuer, sub) and this one, on the other side of the move (the target
-- before cut-over, the source after it). The username is the same opaque id
-- in both pools. password_migrated_at: the user's password has been set on
-- the target (lazy migration at sign-in). Rows go when the move finishes.
CREATE TABLE tier_move_identities (
  tenant_id            UUID NOT NULL,
  user_id              UUID NOT NULL,
  issuer               TEXT NOT NULL,
  username             TEXT NOT NULL,
  sub                  TEXT NOT NULL,
  password_migrated_at TIMESTAMPTZ(3),
  created_at           TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX tier_move_identities_issuer_sub_key ON tier_move_identities (issuer, sub);

-- Tenant-owned: row-level security like every tenant table. Only the tenants
-- module (privileged role) reads and writes it; the application role gets no grant.
ALTER TABLE tier_move_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE tier_move_identities FORCE ROW LEVEL SECURITY;
CREATE POLICY tier_move_identities_select ON tier_move_identities FOR SELECT TO gatehouse_app
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON tier_move_identities TO gatehouse_privileged;
CREATE POLICY tier_move_identities_privileged ON tier_move_identities TO gatehouse_privileged USING (true) WITH CHECK (true);
