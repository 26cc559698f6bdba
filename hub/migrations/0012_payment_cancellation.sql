-- payment.cancelled (schemas/canonical/payment_cancelled.xsd): the agent cancelled a payment it
-- reported before. The cancellation is kept as sent, whether or not the payment is in the store
-- yet (messages arrive in any order); the payment it names — by agent and payment_ref, the key a
-- cancellation has (no payment date, no amount) — gets cancelled_on and the cancellation's id,
-- when the cancellation arrives or when the payment does, later.
CREATE TABLE billing.payment_cancellation (
  id               bigserial PRIMARY KEY,
  nkey             text NOT NULL UNIQUE,
  agent_code       text NOT NULL,
  agent_name       text,
  registry_ref     text NOT NULL,
  transaction_id   text,
  payment_ref      text NOT NULL,  -- tx:<transactionId> or reg:<registryRef>, as billing.payment's
  cancelled_on     date NOT NULL,
  reason           text,
  cancellation_ref text,
  ref              text NOT NULL,  -- agent_code:payment_ref: what external.state results name
  gis_cancellation_guid text,     -- GIS's GUID of the cancellation, from external.state
  ext_error_code   text,
  ext_error_text   text,
  ext_state_at     timestamptz,
  message_id       uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_cancellation_ref ON billing.payment_cancellation (ref);
CREATE TRIGGER payment_cancellation_history BEFORE UPDATE ON billing.payment_cancellation
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION billing.keep_history();

ALTER TABLE billing.payment ADD COLUMN cancelled_on date;
ALTER TABLE billing.payment ADD COLUMN cancellation_id bigint;
CREATE INDEX payment_agent_ref ON billing.payment (agent_code, payment_ref);
