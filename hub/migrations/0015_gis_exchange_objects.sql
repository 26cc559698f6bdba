-- Which of our objects an open exchange carries, one row per object, for the adapter's "is this
-- object already on its way?" check before each chunk it sends (ExchangeStore::in_flight).
--
-- The check used to be `objects && $refs` on hub.gis_exchange. The planner takes the partial
-- gis_exchange_due index for it (same predicate, adapter as index condition) instead of the GIN
-- index, and array overlap on text compares every pair: 100 x 100 comparisons per open exchange,
-- about 130 ms per check with 1,000 exchanges open. A 2,000,000-account export spent most of its
-- PostgreSQL time there. A primary-key probe per object does not depend on the plan.
--
-- A trigger keeps the rows in step with hub.gis_exchange.objects and state, whoever writes them:
-- they exist while the exchange is open and go when it is done or failed.
CREATE TABLE hub.gis_exchange_object (
  adapter     text NOT NULL,
  object      text NOT NULL,
  exchange_id bigint NOT NULL,
  -- object first: the check probes it once per ref (PgExchangeStore::in_flight, a LATERAL
  -- lookup: as `object = ANY(...)` the planner took a sequential scan over the dead rows an
  -- export leaves between autovacuum runs).
  PRIMARY KEY (object, adapter, exchange_id)
);
CREATE INDEX gis_exchange_object_exchange ON hub.gis_exchange_object (exchange_id);

-- hub.gis_exchange_objects_sync() is defined in 0009 (which runs before this on a new database,
-- and replaces the body on one that ran this before it existed).

CREATE TRIGGER gis_exchange_objects_sync
  AFTER INSERT OR UPDATE OF objects, state ON hub.gis_exchange
  FOR EACH ROW EXECUTE FUNCTION hub.gis_exchange_objects_sync();

INSERT INTO hub.gis_exchange_object (adapter, object, exchange_id)
SELECT DISTINCT adapter, o, id FROM hub.gis_exchange, unnest(objects) AS o
 WHERE state NOT IN ('done', 'failed')
ON CONFLICT DO NOTHING;

-- Nothing else searches objects by content: the reports read them row by row.
DROP INDEX IF EXISTS hub.gis_exchange_open_objects;
