-- Schema `hub`: the journal, the outbox and the hub's own bookkeeping.
CREATE SCHEMA IF NOT EXISTS hub;

-- The journal: every canonical message that entered through Ingress, once per idempotency key.
CREATE TABLE hub.message (
  id              uuid PRIMARY KEY,
  type            text NOT NULL,
  schema_version  int NOT NULL DEFAULT 1,
  source          text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  correlation_id  text NOT NULL,
  causation_id    text,
  idempotency_key text NOT NULL,
  headers         jsonb NOT NULL DEFAULT '{}'::jsonb,
  body            text NOT NULL,
  route_version   bigint
);
CREATE UNIQUE INDEX message_idempotency_key ON hub.message (idempotency_key);
CREATE INDEX message_received_at ON hub.message (received_at);
CREATE INDEX message_type_received_at ON hub.message (type, received_at);
CREATE INDEX message_correlation ON hub.message (correlation_id);

-- The outbox: one row per (message, route, target). A worker holds a row while lease_until is in
-- the future; an expired lease is free to take, which is how a dead node's work is taken over.
CREATE TABLE hub.delivery (
  id              bigserial PRIMARY KEY,
  message_id      uuid NOT NULL REFERENCES hub.message (id),
  route           text NOT NULL,
  target          text NOT NULL,
  body            text,            -- the route's transformed body; NULL = the message's own body
  state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'dead', 'filtered')),
  attempts        int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_owner     text,
  lease_until     timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  UNIQUE (message_id, route, target)
);
CREATE INDEX delivery_ready ON hub.delivery (target, next_attempt_at) WHERE state = 'pending';
CREATE INDEX delivery_message ON hub.delivery (message_id);

CREATE TABLE hub.dead_letter (
  id          bigserial PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES hub.delivery (id),
  message_id  uuid NOT NULL REFERENCES hub.message (id),
  target      text NOT NULL,
  attempts    int NOT NULL,
  last_error  text NOT NULL,
  dead_at     timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz,
  replayed_by text
);
CREATE INDEX dead_letter_open ON hub.dead_letter (dead_at) WHERE replayed_at IS NULL;

-- Raw requests and responses exchanged with external systems.
CREATE TABLE hub.exchange_log (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  adapter        text NOT NULL,
  operation      text NOT NULL,
  direction      text NOT NULL CHECK (direction IN ('out', 'in')),
  correlation_id text,
  status         text,
  payload        text
);
CREATE INDEX exchange_log_at ON hub.exchange_log (adapter, at);

-- Where each source stands: a file by content hash, a GIS MessageGUID, ...
CREATE TABLE hub.file_checkpoint (
  source     text NOT NULL,
  key        text NOT NULL,
  file_name  text,
  position   bigint NOT NULL DEFAULT 0,
  status     text NOT NULL CHECK (status IN ('in_progress', 'done', 'quarantined')),
  report     text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, key)
);

CREATE TABLE hub.schedule_run (
  id            bigserial PRIMARY KEY,
  job           text NOT NULL,
  scheduled_for timestamptz,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  status        text NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
  trigger       text NOT NULL CHECK (trigger IN ('cron', 'manual', 'misfire')),
  node          text,
  error         text
);
CREATE INDEX schedule_run_job ON hub.schedule_run (job, started_at DESC);

-- Every published routes-and-schedules configuration; the highest version is the running one.
CREATE TABLE hub.route_version (
  version    bigserial PRIMARY KEY,
  config     text NOT NULL,
  digest     text NOT NULL,
  applied_by text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  source     text
);

CREATE TABLE hub.api_token (
  id         bigserial PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  token_hash text NOT NULL UNIQUE,   -- SHA-256 hex of the token; the token itself is never stored
  role       text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE hub.audit (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  actor   text NOT NULL,
  action  text NOT NULL,
  object  text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
