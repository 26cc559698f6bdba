-- Large values (journal bodies, signed GIS requests and answers in the exchange log and the
-- exchange records, GIS results) are compressed with lz4 instead of PostgreSQL's default pglz:
-- several times faster to compress for about the same size on XML. pglz_compress was the largest
-- single PostgreSQL function in a GIS export profile (every 100-account request is ~40 KB of
-- signed XML, written to the exchange log and to its exchange record). Only values written from
-- now on are affected; a server built without lz4 keeps pglz.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings
              WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE hub.message ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE hub.delivery ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE hub.exchange_log ALTER COLUMN payload SET COMPRESSION lz4;
    ALTER TABLE hub.gis_exchange ALTER COLUMN request SET COMPRESSION lz4;
    ALTER TABLE hub.gis_exchange ALTER COLUMN context SET COMPRESSION lz4;
    ALTER TABLE hub.gis_exchange ALTER COLUMN result SET COMPRESSION lz4;
    ALTER TABLE billing.external_state ALTER COLUMN results SET COMPRESSION lz4;
    ALTER TABLE billing.history ALTER COLUMN row SET COMPRESSION lz4;
  END IF;
END
$$;
