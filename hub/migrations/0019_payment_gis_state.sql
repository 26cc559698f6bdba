-- What GIS ZhKH said of a payment notice (importNotificationsOfOrderExecution) lands on the payment
-- it is about, as for every other object GIS places: the notice's GUID, or the error that refused
-- it, and when. The notice's external.state names the payment by the id of the routed
-- payment.received message (objectRef), which billing.payment keeps in message_id; the partial
-- index finds it (payments of a bank's batched registry carry no message id and are not in it).
ALTER TABLE billing.payment ADD COLUMN IF NOT EXISTS gis_notification_guid text;
CREATE INDEX IF NOT EXISTS payment_message ON billing.payment (message_id)
  WHERE message_id IS NOT NULL;
