-- Dispatcher bookkeeping on the outbox.

-- When the dispatcher last handed a delivery to its sink. With next_attempt_at it shows the
-- backoff actually applied (operators, tests) without keeping an attempt history table.
ALTER TABLE hub.delivery ADD COLUMN IF NOT EXISTS last_attempt_at timestamptz;

-- The claim reads due rows of one target in (next_attempt_at, id) order. With id in the index the
-- LIMIT stops after the batch instead of sorting every pending row of the target.
CREATE INDEX IF NOT EXISTS delivery_due ON hub.delivery (target, next_attempt_at, id)
  WHERE state = 'pending';
DROP INDEX IF EXISTS hub.delivery_ready;

-- Room on each page for the claim's update (lease columns, not indexed) to stay a HOT update:
-- no new index entries and no index bloat for the most frequent write on this table.
ALTER TABLE hub.delivery SET (fillfactor = 70);

-- UNIQUE (message_id, route, target) already leads with message_id and serves every lookup by
-- message; the single-column copy only cost an index insert per outbox write.
DROP INDEX IF EXISTS hub.delivery_message;
