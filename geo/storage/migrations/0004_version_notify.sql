-- Every change of the manifest (any writer: an ingest, a registry edit, a DBA's fix) notifies the
-- channel coopmap_data_version at commit; each server's store listens and drops its cached manifest,
-- so a change made on one host is served by every host at once, without polling.
CREATE FUNCTION coopmap.notify_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('coopmap_data_version', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER manifest_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON coopmap.manifest
    FOR EACH STATEMENT EXECUTE FUNCTION coopmap.notify_data_version();
