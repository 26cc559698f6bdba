-- When the dispatcher last handed a delivery to its sink. With next_attempt_at it shows the
-- backoff actually applied (operators, tests) without keeping an attempt history table.
ALTER TABLE hub.delivery ADD COLUMN IF NOT EXISTS last_attempt_at timestamptz;
