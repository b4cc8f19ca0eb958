-- Rate-limit counters shared by every API replica when no Redis is configured
-- (rate-limiter-flexible's Postgres store; the API never creates tables itself).
-- Not tenant data: keys are SHA-256 digests of "<limit>:<subject>", so no e-mail
-- address or client address is stored, and the table needs no row-level security.
CREATE TABLE rate_limit_counters (
  key    varchar(255) PRIMARY KEY,
  points integer      NOT NULL DEFAULT 0,
  expire bigint
);

CREATE INDEX rate_limit_counters_expire_idx ON rate_limit_counters (expire);

GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_counters TO gatehouse_app;
