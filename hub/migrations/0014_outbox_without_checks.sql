-- The outbox without the checks that cost more than they protect. Ingress is the only writer of
-- hub.delivery and writes a message's deliveries in the same statement as the message, joined on
-- the rows that statement inserted, so neither check can fail:
--
-- * the foreign key to hub.message ran a lookup per delivery row and took a KEY SHARE lock on the
--   message just written (one more heap write and WAL record per message);
-- * UNIQUE (message_id, route, target) was a wide second index on every outbox write and on every
--   non-HOT update (a delivery leaving the pending index); Ingress now drops a repeated
--   (route, target) of one message itself.
--
-- Lookups by message keep a narrow index.
ALTER TABLE hub.delivery DROP CONSTRAINT IF EXISTS delivery_message_id_fkey;
ALTER TABLE hub.delivery DROP CONSTRAINT IF EXISTS delivery_message_id_route_target_key;
CREATE INDEX IF NOT EXISTS delivery_message ON hub.delivery (message_id);
