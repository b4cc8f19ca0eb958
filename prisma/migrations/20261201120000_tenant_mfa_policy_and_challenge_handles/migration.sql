-- Per-tenant MFA policy, the mirror's MFA enrolment fact, and the ledger of
-- consumed sign-in challenge handles.

-- tenants.mfa held a Cognito pool setting (OFF / OPTIONAL / ON) for silo
-- tenants only, NULL meaning "the tier's". It becomes a policy every model
-- honours. Existing values map one to one; NULL becomes 'optional', which is
-- what every tier of the shipped configuration uses.
ALTER TABLE tenants ADD COLUMN mfa_policy TEXT NOT NULL DEFAULT 'optional';
UPDATE tenants SET mfa_policy = CASE mfa WHEN 'ON' THEN 'required' WHEN 'OFF' THEN 'off' ELSE 'optional' END;
ALTER TABLE tenants DROP COLUMN mfa;
ALTER TABLE tenants ADD CONSTRAINT tenants_mfa_policy_check CHECK (mfa_policy IN ('off', 'optional', 'required'));

-- True once the user has a verified TOTP authenticator that Gatehouse saw
-- (enrolment through the API, or a passed TOTP challenge). The guard refuses
-- shared-pool users without it while their tenant requires MFA.
ALTER TABLE users ADD COLUMN mfa_enrolled BOOLEAN NOT NULL DEFAULT false;

-- Single use of challenge handles across replicas: a handle's jti is inserted
-- when it is answered; a second insert of the same jti is a replay. Rows are
-- useless after expires_at and are swept by the API.
CREATE TABLE consumed_challenge_handles (
  jti        TEXT PRIMARY KEY,
  expires_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX consumed_challenge_handles_expires_at_idx ON consumed_challenge_handles (expires_at);

-- Platform data with no tenant: no row-level security, and only what the API needs.
GRANT SELECT, INSERT, DELETE ON consumed_challenge_handles TO gatehouse_app;
