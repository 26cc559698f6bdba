-- Schema `tickets`: residents' requests and complaints (обращения, заявки) from every channel, with
-- their full history. The status model (codes, transitions, labels, SLA, assignment) lives in
-- config (deploy/tickets.yaml), so statuses and topics are plain text codes here, not enums: an
-- organisation changes its model without a migration.
CREATE SCHEMA IF NOT EXISTS tickets;

CREATE TABLE tickets.ticket (
  id              bigserial PRIMARY KEY,
  channel         text NOT NULL,   -- gis, email, portal, mobile, phone, operator, marketplace, ...
  external_id     text,            -- the channel's own id (GIS appeal GUID, portal number)
  message_id      uuid,            -- the ticket.created message it came from, if any
  topic           text NOT NULL,   -- topic code of the model
  topic_text      text NOT NULL,   -- the topic as the channel named it
  body            text NOT NULL,   -- the resident's text
  account         text,            -- personal account (ЛС) when identified
  house           text,            -- house id (FIAS GUID or the organisation's house code)
  premise         text,            -- flat / premise number in the house ("12А")
  applicant_name  text,
  applicant_phone text,
  applicant_email text,
  status          text NOT NULL,
  assignee        text,
  submitted_at    timestamptz,     -- when the resident filed it in the channel
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  due_at          timestamptz,     -- SLA deadline from the topic's duration
  resolved_at     timestamptz,     -- set while the status stops the SLA clock
  sla_breached_at timestamptz,     -- when the breach was recorded (once per ticket)
  sla_paused_at   timestamptz,     -- since when a pauses_sla status holds the clock
  created_by      text NOT NULL    -- API token name or source adapter instance
);
-- The same appeal arriving twice (redelivery, a channel re-sending) is one ticket.
CREATE UNIQUE INDEX ticket_channel_external ON tickets.ticket (channel, external_id)
  WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX ticket_message ON tickets.ticket (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX ticket_status ON tickets.ticket (status, created_at);
CREATE INDEX ticket_account ON tickets.ticket (account) WHERE account IS NOT NULL;
CREATE INDEX ticket_house ON tickets.ticket (house) WHERE house IS NOT NULL;
CREATE INDEX ticket_assignee ON tickets.ticket (assignee) WHERE assignee IS NOT NULL;
-- Open tickets by deadline: the overdue filter and the SLA breach sweep.
CREATE INDEX ticket_open_due ON tickets.ticket (due_at) WHERE resolved_at IS NULL;

-- Everything that happened to a ticket, in order; never updated, never deleted.
CREATE TABLE tickets.ticket_event (
  id          bigserial PRIMARY KEY,
  ticket_id   bigint NOT NULL REFERENCES tickets.ticket (id),
  kind        text NOT NULL CHECK (kind IN ('created', 'status_changed', 'comment', 'assigned',
                                            'attachment_added', 'sla_breached')),
  from_status text,
  to_status   text,
  assignee    text,
  body        text,                 -- comment text, or the transition's comment
  internal    boolean NOT NULL DEFAULT false,  -- staff-only (not shown to residents)
  actor       text NOT NULL,        -- token name, adapter instance, 'rule' or 'sla'
  message_id  uuid,                 -- the ticket.updated message that caused it, if any
  at          timestamptz NOT NULL DEFAULT now(),
  -- Outbox towards the channels: staff changes (no message_id) are published as ticket.updated.
  published_at  timestamptz,
  publish_error text                -- Ingress refused it; kept for the operator, not retried
);
CREATE INDEX ticket_event_ticket ON tickets.ticket_event (ticket_id, id);
-- A redelivered ticket.updated finds its events and applies nothing twice.
CREATE INDEX ticket_event_message ON tickets.ticket_event (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX ticket_event_unpublished ON tickets.ticket_event (id)
  WHERE published_at IS NULL AND message_id IS NULL
    AND kind IN ('status_changed', 'comment', 'assigned', 'attachment_added') AND actor <> 'rule';

-- Attachments are references (URI in the channel, file store or GIS attachment GUID), never bytes.
CREATE TABLE tickets.attachment (
  id         bigserial PRIMARY KEY,
  ticket_id  bigint NOT NULL REFERENCES tickets.ticket (id),
  event_id   bigint REFERENCES tickets.ticket_event (id),
  uri        text NOT NULL,
  name       text,
  media_type text,
  sha256     text,
  added_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ticket_id, uri)
);
