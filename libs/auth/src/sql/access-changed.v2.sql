-- Auth's trigger function: every change of a user's role or memberships, whatever makes it
-- (the API, `npm run create-admin`, SQL by hand, a cascade), writes an access.changed event with
-- the user's access after the change, in the same transaction (triggers on users and
-- station_members, migration 1764160700000). Such changes are rare, so it notifies the log's
-- followers itself. Its `at` is written as every other payload's timestamps are (iso_ms).
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
           'at', iso_ms(now()));
  PERFORM pg_notify('itn_events', '');
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
