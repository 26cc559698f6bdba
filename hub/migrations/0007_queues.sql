-- Canonical queues (hub/queue): a subscription's items are hub.delivery rows with target
-- 'queue:<name>'; pulls lease them (lease_owner = the pull's random token, lease_until = the
-- visibility timeout), acks mark them delivered.

-- Who pulled the item last (the API token's name). Kept after the ack: it is the record of which
-- billing engine consumed the message, in place of an audit row per pull. Not indexed, so the
-- pull's update stays a HOT update.
ALTER TABLE hub.delivery ADD COLUMN IF NOT EXISTS consumer text;
