-- events_access_changed() as migration 1764160700000 made it (its `at` in PostgreSQL's own
-- timestamp text); kept so that the migration that replaces it can be reverted.
CREATE OR REPLACE FUNCTION events_access_changed() RETURNS trigger AS $$
DECLARE
  changed uuid;
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
  ELSE
    changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
  END IF;
  INSERT INTO events (type, station_ids, payload)
  SELECT 'access.changed', '{}', jsonb_build_object(
           'userId', changed,
           'role', (SELECT u.role FROM users u WHERE u.id = changed),
           'stationIds', COALESCE(
             (SELECT jsonb_agg(m.station_id ORDER BY m.station_id) FROM station_members m
               WHERE m.user_id = changed), '[]'::jsonb),
           'at', now());
  PERFORM pg_notify('itn_events', '');
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
