-- The pollers' claim returns a record without its objects, and an update that brings none keeps
-- the stored ones (PgExchangeStore::write), as both already did for the request.
--
-- An exchange's objects ("kind:ref" of each object it carries, 100 for an export's request) are
-- set when it is created; the GIS adapter never changes them after, and nothing in a poller's
-- steps reads them. Yet every
-- claim sent them out (the compressed array read, turned into text, parsed again in the hub) and
-- every update of the record sent them back (built as an array literal, parsed, compressed again
-- into the new row version, and compared element by element with the old ones by the
-- gis_exchange_objects_sync trigger): an exchange of bench_gis_export is claimed twice and updated
-- four times. Kept, the new row version takes the stored (compressed) value as it is.
--
-- The function is 0011's but for that column (the same signature and plan settings).
CREATE OR REPLACE FUNCTION hub.gis_exchange_claim(p_adapter text, p_states text[], p_limit bigint,
                                                  p_lease_ms bigint)
RETURNS TABLE (c_id bigint, c_key text, c_operation text, c_state text, c_request_id text,
               c_ack_guid text, c_next_poll_ms bigint, c_polls int, c_sends int, c_request text,
               c_context text, c_objects text, c_result text, c_error_code text,
               c_error_text text, c_created_ms bigint, c_updated_ms bigint)
LANGUAGE plpgsql VOLATILE
SET enable_bitmapscan = off
SET enable_seqscan = off
AS $$
BEGIN
  RETURN QUERY
  UPDATE hub.gis_exchange g SET lease_until = now() + p_lease_ms * interval '1 ms'
   WHERE g.id IN (SELECT x.id FROM hub.gis_exchange x
                   WHERE x.adapter = p_adapter AND x.state = ANY (p_states)
                     -- Implied by p_states, but only a literal proves the index's predicate
                     -- to the plan kept for any p_states.
                     AND x.state NOT IN ('done', 'failed')
                     AND x.next_poll_at <= now()
                     AND (x.lease_until IS NULL OR x.lease_until < now())
                   ORDER BY x.next_poll_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
  RETURNING g.id, g.key, g.operation, g.state, coalesce(g.request_id, ''),
            coalesce(g.ack_guid, ''), (extract(epoch FROM g.next_poll_at) * 1000)::bigint,
            g.polls, g.sends,
            -- The request only while it still has to go out: an acknowledged record's next step
            -- is a poll (see ExchangeStore::claim_due).
            CASE WHEN g.ack_guid IS NULL THEN coalesce(g.request, '') ELSE '' END,
            coalesce(g.context, ''),
            -- Without its objects: fixed at creation, kept by every update that brings none.
            '{}'::text, coalesce(g.result, ''),
            coalesce(g.error_code, ''), coalesce(g.error_text, ''),
            (extract(epoch FROM g.created_at) * 1000)::bigint,
            (extract(epoch FROM g.updated_at) * 1000)::bigint;
END
$$;
