-- The exchange log is read by MessageGUID (zhkh-hub exchanges --message-guid, a request with its
-- getState polls, which carry the request's MessageGUID as correlation_id); without an index each
-- such read scanned the whole log.
CREATE INDEX IF NOT EXISTS exchange_log_correlation ON hub.exchange_log (correlation_id)
  WHERE correlation_id IS NOT NULL;
