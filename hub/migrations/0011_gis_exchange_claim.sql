-- The pollers' claim of due exchange records (PgExchangeStore::claim_due) as a function, so that
-- its plan can be pinned to an index scan of gis_exchange_due in next_poll_at order.
--
-- Every step of an exchange moves next_poll_at or state, so each leaves a dead entry in
-- gis_exchange_due until VACUUM removes it; a GIS export of a few thousand requests has
-- thousands of them at any time, while a handful of records are open. The planner estimates a
-- few rows and takes a bitmap scan and a sort: a bitmap scan visits every entry the condition
-- matches, dead ones included, and the heap page of each, on every claim (~6,000 entries and ~320
-- pages, 0.95 ms a claim, for 6 live rows in a test at the state bench_gis_export reaches) and
-- never marks them dead. An index scan marks an entry it found dead in the index, so the next
-- claims step over it (0.37 ms, 15 pages). Nothing else changes: the same rows in the same order,
-- leased with FOR UPDATE SKIP LOCKED; the columns are those PgExchangeStore reads, in its order.
-- A sequential scan (the plan for a table the statistics call small) reads every dead version
-- too. plpgsql keeps the plan for the session (a SQL function would plan the UPDATE each call);
-- that generic plan cannot use the partial index from `state = ANY (p_states)` alone (it does
-- not know p_states), and the prepared statement this replaces went, after its first custom
-- plans, to a scan of every row of the adapter through (adapter, key): in a profile of
-- bench_gis_export that claim was ~20% of PostgreSQL's CPU. Final records are never due, so the
-- claim takes open records only and says so in a literal the plan can use.
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
            coalesce(g.context, ''), g.objects::text, coalesce(g.result, ''),
            coalesce(g.error_code, ''), coalesce(g.error_text, ''),
            (extract(epoch FROM g.created_at) * 1000)::bigint,
            (extract(epoch FROM g.updated_at) * 1000)::bigint;
END
$$;
