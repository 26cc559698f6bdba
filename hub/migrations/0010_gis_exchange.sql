-- Asynchronous exchanges with external systems (GIS ZhKH: send → AckRequest → getState → result),
-- one row per request the adapter instance made (plugin::ExchangeStore, hub/plugin/exchange_state.h).
-- The row is written before the request goes out and updated after each step, so a restarted hub
-- resumes polling (or resends an unacknowledged request with the same MessageGUID) and loses
-- nothing. `key` says what caused the request (a routed message id, a job chunk) and makes the
-- create idempotent; a lease keeps two nodes from polling the same request at once.
CREATE TABLE hub.gis_exchange (
  id           bigserial PRIMARY KEY,
  adapter      text NOT NULL,
  key          text NOT NULL,
  operation    text NOT NULL,
  state        text NOT NULL,
  request_id   text,           -- our MessageGUID of the current send
  ack_guid     text,           -- the system's MessageGUID (AckRequest)
  next_poll_at timestamptz NOT NULL DEFAULT now(),
  polls        int NOT NULL DEFAULT 0,
  sends        int NOT NULL DEFAULT 0,
  request      text,
  context      text,
  objects      text[] NOT NULL DEFAULT '{}',
  result       text,
  error_code   text,
  error_text   text,
  lease_until  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (adapter, key)
);
CREATE INDEX gis_exchange_due ON hub.gis_exchange (adapter, next_poll_at)
  WHERE state NOT IN ('done', 'failed');
CREATE INDEX gis_exchange_open_objects ON hub.gis_exchange USING gin (objects)
  WHERE state NOT IN ('done', 'failed');
CREATE INDEX gis_exchange_ack ON hub.gis_exchange (ack_guid) WHERE ack_guid IS NOT NULL;
