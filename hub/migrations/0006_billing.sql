-- Schema `billing`: the thin canonical state the hub keeps to identify accounts, map external ids
-- (GIS ZhKH GUIDs) and report. Not a billing engine: charges and documents are what the engines
-- sent, as they sent them.
--
-- Conventions of every table here:
--   * columns mirror the canonical body element by element (hub/src/billing/type_specs.cpp);
--     repeated elements are ordered JSON arrays whose values stay strings (no rounding);
--   * `nkey` is the natural key computed by the store from the body (house: FIAS GUID; account:
--     the organisation's ЛС number; meter: register id; payment: agent + date + registry line or
--     transaction id + amount; ...). Upserts are ON CONFLICT (nkey), so a message applied twice
--     changes nothing;
--   * references between objects are by natural key (house_fias_guid, account number), not by
--     foreign keys: messages arrive at least once and in any order, and an account may come before
--     its house;
--   * external ids (GIS GUIDs) are columns; external.state fills them and the last error
--     (ext_error_code / ext_error_text / ext_state_at);
--   * an update that changes something copies the previous row into billing.history first
--     (valid_from = its updated_at, valid_to = now()); an identical re-apply updates nothing, so
--     history grows only on change.
CREATE SCHEMA IF NOT EXISTS billing;

CREATE TABLE billing.history (
  id         bigserial PRIMARY KEY,
  table_name text NOT NULL,
  object_id  bigint NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to   timestamptz NOT NULL,
  message_id uuid,
  row        jsonb NOT NULL
);
CREATE INDEX history_object ON billing.history (table_name, object_id, valid_to);

CREATE FUNCTION billing.keep_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO billing.history (table_name, object_id, valid_from, valid_to, message_id, row)
  VALUES (TG_TABLE_NAME, OLD.id, OLD.updated_at, now(), OLD.message_id, to_jsonb(OLD));
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE billing.house (
  id                bigserial PRIMARY KEY,
  nkey              text NOT NULL UNIQUE,
  fias_guid         text NOT NULL,
  gis_house_guid    text,
  gis_unique_number text,
  address           text,
  oktmo             text,
  cadastral_number  text,
  kind              text,
  total_area        numeric,
  residential_area  numeric,
  floors            bigint,
  entrances         bigint,
  built_year        text,
  managed_from      date,
  managed_to        date,
  street_key        text,   -- normalised street words (address.h), for the address fallback
  house_no          text,   -- normalised house number with корпус/строение
  ext_error_code    text,
  ext_error_text    text,
  ext_state_at      timestamptz,
  message_id        uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX house_gis_guid ON billing.house (gis_house_guid) WHERE gis_house_guid IS NOT NULL;
CREATE INDEX house_house_no ON billing.house (house_no);

CREATE TABLE billing.premise (
  id                bigserial PRIMARY KEY,
  nkey              text NOT NULL UNIQUE,
  house_fias_guid   text NOT NULL,
  number            text NOT NULL,
  number_key        text,
  residential       boolean,
  fias_guid         text,
  gis_premises_guid text,
  gis_unique_number text,
  cadastral_number  text,
  entrance          text,
  floor             bigint,
  total_area        numeric,
  living_area       numeric,
  rooms_count       bigint,
  rooms             jsonb,
  ext_error_code    text,
  ext_error_text    text,
  ext_state_at      timestamptz,
  message_id        uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX premise_gis_guid ON billing.premise (gis_premises_guid)
  WHERE gis_premises_guid IS NOT NULL;

CREATE TABLE billing.account (
  id                   bigserial PRIMARY KEY,
  nkey                 text NOT NULL UNIQUE,
  number               text NOT NULL,
  els                  text,
  house_fias_guid      text,
  premise_number       text,
  premise_residential  boolean,
  gis_premises_guid    text,
  gis_living_room_guid text,
  area                 numeric,
  residents            bigint,
  opened_on            date,
  closed_on            date,
  gis_account_guid     text,
  izhku                text,
  kind                 text,
  payer_last_name      text,
  payer_first_name     text,
  payer_middle_name    text,
  payer_birth_date     date,
  payer_snils          text,
  payer_org_inn        text,
  payer_org_kpp        text,
  payer_org_name       text,
  payer_renter         boolean,
  payer_phone          text,
  payer_email          text,
  address              text,
  living_area          numeric,
  share_percent        numeric,
  close_reason         text,
  premise_key          text,  -- normalised premise number
  payer_surname        text,  -- normalised surname (or organisation name)
  address_street       text,  -- from the account's own address line, when it has one
  address_house_no     text,
  ext_error_code       text,
  ext_error_text       text,
  ext_state_at         timestamptz,
  message_id           uuid,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_number ON billing.account (number);
CREATE INDEX account_els ON billing.account (els) WHERE els IS NOT NULL;
CREATE INDEX account_izhku ON billing.account (izhku) WHERE izhku IS NOT NULL;
CREATE INDEX account_gis_guid ON billing.account (gis_account_guid)
  WHERE gis_account_guid IS NOT NULL;
CREATE INDEX account_house ON billing.account (house_fias_guid, premise_key);
CREATE INDEX account_address ON billing.account (address_house_no, premise_key)
  WHERE address_house_no IS NOT NULL;

CREATE TABLE billing.meter (
  id                          bigserial PRIMARY KEY,
  nkey                        text NOT NULL UNIQUE,
  meter_id                    text NOT NULL,
  serial_number               text,
  kind                        text,
  resource                    text,
  service                     text,
  model                       text,
  unit                        text,
  digit_capacity              bigint,
  fraction_digits             bigint,
  tariff_zones                bigint,
  transformation_ratio        numeric,
  house_fias_guid             text,
  premise_number              text,
  accounts                    jsonb,
  installed_on                date,
  commissioned_on             date,
  last_verified_on            date,
  next_verification_on        date,
  verification_interval_years bigint,
  sealed_on                   date,
  initial_values              jsonb,
  remote                      boolean,
  gis_root_guid               text,
  gis_version_guid            text,
  gis_number                  text,
  archived_on                 date,
  archive_reason              text,
  ext_error_code              text,
  ext_error_text              text,
  ext_state_at                timestamptz,
  message_id                  uuid,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meter_serial ON billing.meter (serial_number);
CREATE INDEX meter_gis_guid ON billing.meter (gis_root_guid) WHERE gis_root_guid IS NOT NULL;

-- Readings are append-only by (meter, takenAt, channel): a new moment is a new row; the same
-- moment sent again with other values is a correction, kept in billing.history.
CREATE TABLE billing.reading (
  id             bigserial PRIMARY KEY,
  nkey           text NOT NULL UNIQUE,
  meter_key      text NOT NULL,  -- meterId, or serial:<account>:<serialNumber>
  meter_id       text,
  serial_number  text,
  account        text,
  resource       text,
  zone_values    jsonb,
  channel        text,
  taken_at       timestamptz,
  period         text,
  gis_meter_guid text,
  external_id    text,
  ext_error_code text,
  ext_error_text text,
  ext_state_at   timestamptz,
  message_id     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reading_meter ON billing.reading (meter_key, taken_at);
CREATE INDEX reading_account ON billing.reading (account, taken_at);

-- Payments, identified or not. status: identified (account_id set by identification),
-- unidentified (reason, candidates; an operator resolves it), resolved (an operator assigned
-- account_id; the re-emitted payment.received then names that account).
CREATE TABLE billing.payment (
  id                 bigserial PRIMARY KEY,
  nkey               text NOT NULL UNIQUE,
  agent_code         text NOT NULL,
  agent_name         text,
  agent_inn          text,
  agent_bik          text,
  registry_ref       text,
  transaction_id     text,
  paid_on            date,
  payer_account      text,
  payer_els          text,
  payer_ipd          text,
  payer_izhku        text,
  period             text,
  amount_kopecks     bigint NOT NULL,
  commission_kopecks bigint,
  services           jsonb,
  readings           jsonb,
  payer_name         text,
  payer_address      text,
  payer_phone        text,
  payment_ref        text NOT NULL,  -- tx:<transactionId> or reg:<registryRef>
  -- payment.unidentified / the hub's own identification outcome
  payment_message_id  text,
  unidentified_reason text,
  reason_text         text,
  checked_at          timestamptz,
  candidates          jsonb,
  status             text NOT NULL DEFAULT 'identified'
                       CHECK (status IN ('identified', 'unidentified', 'resolved')),
  account_id         bigint,
  ident_method       text,   -- account | els | izhku | ipd | address | operator
  ident_score        numeric,
  message_type       text NOT NULL DEFAULT 'payment.received',
  source_key         text,   -- idempotency key of the message that first brought the payment
  resolved_by        text,
  resolved_at        timestamptz,
  ext_error_code     text,
  ext_error_text     text,
  ext_state_at       timestamptz,
  message_id         uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_unidentified ON billing.payment (created_at) WHERE status = 'unidentified';
-- The keys an arriving account or payment document is matched against (few rows: only the
-- unidentified ones).
CREATE INDEX payment_unidentified_account ON billing.payment (payer_account)
  WHERE status = 'unidentified';
CREATE INDEX payment_unidentified_els ON billing.payment (payer_els) WHERE status = 'unidentified';
CREATE INDEX payment_unidentified_izhku ON billing.payment (payer_izhku)
  WHERE status = 'unidentified';
CREATE INDEX payment_unidentified_ipd ON billing.payment (payer_ipd) WHERE status = 'unidentified';
CREATE INDEX payment_unidentified_els_prefix
  ON billing.payment ((split_part(coalesce(payer_izhku, payer_ipd), '-', 1)))
  WHERE status = 'unidentified';
CREATE INDEX payment_account ON billing.payment (account_id, paid_on);

CREATE TABLE billing.charge (
  id              bigserial PRIMARY KEY,
  nkey            text NOT NULL UNIQUE,
  account         text NOT NULL,
  els             text,
  period          text NOT NULL,
  calculation_id  text,
  calculated_at   timestamptz,
  services        jsonb,
  penalty_kopecks bigint,
  total_kopecks   bigint,
  ext_error_code  text,
  ext_error_text  text,
  ext_state_at    timestamptz,
  message_id      uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charge_account ON billing.charge (account, period);

CREATE TABLE billing.payment_document (
  id                          bigserial PRIMARY KEY,
  nkey                        text NOT NULL UNIQUE,
  document_number             text NOT NULL,
  ipd                         text,
  gis_payment_document_guid   text,
  account                     text NOT NULL,
  els                         text,
  izhku                       text,
  period                      text,
  issued_on                   date,
  pay_until                   date,
  area                        numeric,
  residents                   bigint,
  payee_name                  text,
  payee_inn                   text,
  payee_kpp                   text,
  payee_bank_bik              text,
  payee_settlement_account    text,
  payee_correspondent_account text,
  services                    jsonb,
  debt_kopecks                bigint,
  advance_kopecks             bigint,
  paid_kopecks                bigint,
  penalty_kopecks             bigint,
  total_due_kopecks           bigint,
  file_ref                    text,
  file_name                   text,
  file_media_type             text,
  file_size                   bigint,
  file_sha256                 text,
  ext_error_code              text,
  ext_error_text              text,
  ext_state_at                timestamptz,
  message_id                  uuid,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_document_ipd ON billing.payment_document (ipd) WHERE ipd IS NOT NULL;
CREATE INDEX payment_document_account ON billing.payment_document (account, period);

CREATE TABLE billing.benefit (
  id                   bigserial PRIMARY KEY,
  nkey                 text NOT NULL UNIQUE,
  person_last_name     text,
  person_first_name    text,
  person_middle_name   text,
  person_birth_date    date,
  person_snils         text,
  account              text NOT NULL,
  els                  text,
  address              text,
  category_code        text,
  category_name        text,
  category_legal_basis text,
  period_from          text,
  period_to            text,
  amount_kopecks       bigint,
  percent              numeric,
  services             jsonb,
  members_covered      bigint,
  norm_area            numeric,
  decision_ref         text,
  decision_date        date,
  person_key           text,
  ext_error_code       text,
  ext_error_text       text,
  ext_state_at         timestamptz,
  message_id           uuid,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX benefit_account ON billing.benefit (account);

CREATE TRIGGER house_history BEFORE UPDATE ON billing.house FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER premise_history BEFORE UPDATE ON billing.premise FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER account_history BEFORE UPDATE ON billing.account FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER meter_history BEFORE UPDATE ON billing.meter FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER reading_history BEFORE UPDATE ON billing.reading FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER payment_history BEFORE UPDATE ON billing.payment FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER charge_history BEFORE UPDATE ON billing.charge FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER payment_document_history BEFORE UPDATE ON billing.payment_document FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER benefit_history BEFORE UPDATE ON billing.benefit FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();

-- Receipts the cloud cash register service fiscalised (receipt.fiscalized), by our receipt id.
CREATE TABLE billing.fiscal_receipt (
  id             bigserial PRIMARY KEY,
  nkey           text NOT NULL UNIQUE,
  receipt_id     text NOT NULL,
  provider       text,
  provider_id    text,
  fn_number      text,
  fd_number      bigint,
  fpd            bigint,
  registered_at  timestamptz,
  kkt_reg_number text,
  shift_number   bigint,
  receipt_number bigint,
  total_kopecks  bigint,
  fns_site       text,
  ofd_status     text,
  qr             text,
  error_code     text,
  error_text     text,
  message_id     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fiscal_receipt_fiscal ON billing.fiscal_receipt (fn_number, fd_number);

-- EDO documents: what was sent (document.outgoing) and where it stands (document.status), one row
-- per documentId; status changes are kept in billing.history.
CREATE TABLE billing.edo_document (
  id                            bigserial PRIMARY KEY,
  nkey                          text NOT NULL UNIQUE,
  document_id                   text NOT NULL,
  kind                          text,
  doc_function                  text,
  format_version                text,
  number                        text,
  doc_date                      date,
  sender_inn                    text,
  sender_kpp                    text,
  sender_name                   text,
  sender_edo_id                 text,
  counterparty_inn              text,
  counterparty_kpp              text,
  counterparty_name             text,
  counterparty_edo_id           text,
  operator                      text,
  file_ref                      text,
  file_name                     text,
  file_media_type               text,
  file_size                     bigint,
  file_sha256                   text,
  signature_ref                 text,
  signature_name                text,
  signature_media_type          text,
  signature_size                bigint,
  signature_sha256              text,
  recipient_signature_required  boolean,
  total_kopecks                 bigint,
  vat_kopecks                   bigint,
  account                       text,
  period                        text,
  comment                       text,
  -- from document.status
  operator_document_id          text,
  status_kind                   text,
  status_counterparty_inn       text,
  status_counterparty_kpp       text,
  status_counterparty_name      text,
  status_counterparty_edo_id    text,
  status                        text,
  operator_status               text,
  status_at                     timestamptz,
  sent_at                       timestamptz,
  delivered_at                  timestamptz,
  status_comment                text,
  status_error_code             text,
  status_error_text             text,
  status_file_ref               text,
  status_file_name              text,
  status_file_media_type        text,
  status_file_size              bigint,
  status_file_sha256            text,
  message_id                    uuid,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  updated_at                    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX edo_document_status ON billing.edo_document (status, status_at);

-- external.state as the adapter reported it (by system + requestId); the results also set the
-- named objects' GIS ids and errors (ext_* columns above).
CREATE TABLE billing.external_state (
  id                  bigserial PRIMARY KEY,
  nkey                text NOT NULL UNIQUE,
  system              text NOT NULL,
  operation           text,
  request_id          text NOT NULL,
  external_message_id text,
  state               text,
  checked_at          timestamptz,
  error_code          text,
  error_text          text,
  results             jsonb,
  message_id          uuid,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER fiscal_receipt_history BEFORE UPDATE ON billing.fiscal_receipt FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER edo_document_history BEFORE UPDATE ON billing.edo_document FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
CREATE TRIGGER external_state_history BEFORE UPDATE ON billing.external_state FOR EACH ROW
  WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();
