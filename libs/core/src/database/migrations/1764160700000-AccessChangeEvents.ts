import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change of a user's role or memberships, whatever makes it (the API, `npm run
 * create-admin`, SQL by hand, a cascade from a deleted station or user), writes an
 * `access.changed` event with the user's access after the change, in the same transaction.
 * Each instance's follower applies it to that user's open sockets and streams and forgets
 * what it cached of the user. Such changes are rare, so the trigger notifies the followers
 * itself.
 */
export class AccessChangeEvents1764160700000 implements MigrationInterface {
  name = 'AccessChangeEvents1764160700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION events_access_changed() RETURNS trigger AS $$
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
      $$ LANGUAGE plpgsql`);
    await q.query(`
      CREATE TRIGGER tr_users_role_changed AFTER UPDATE OF role ON users
      FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION events_access_changed()`);
    await q.query(`
      CREATE TRIGGER tr_users_deleted AFTER DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION events_access_changed()`);
    await q.query(`
      CREATE TRIGGER tr_station_members_access_changed AFTER INSERT OR UPDATE OR DELETE ON station_members
      FOR EACH ROW EXECUTE FUNCTION events_access_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_station_members_access_changed ON station_members`);
    await q.query(`DROP TRIGGER tr_users_deleted ON users`);
    await q.query(`DROP TRIGGER tr_users_role_changed ON users`);
    await q.query(`DROP FUNCTION events_access_changed()`);
  }
}
