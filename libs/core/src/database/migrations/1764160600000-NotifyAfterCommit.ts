import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Followers of the event log are no longer notified from within the writing transaction (a
 * trigger on events) but after its commit, by the service (EventLogSignal). A transaction that
 * notifies takes one lock for the whole database at commit and holds it until its commit record
 * is flushed, so every transaction that wrote events committed one at a time.
 */
export class NotifyAfterCommit1764160600000 implements MigrationInterface {
  name = 'NotifyAfterCommit1764160600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_events_notify ON events`);
    await q.query(`DROP FUNCTION events_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION events_notify() RETURNS trigger AS $$
      BEGIN
        PERFORM pg_notify('itn_events', '');
        RETURN NULL;
      END
      $$ LANGUAGE plpgsql`);
    await q.query(`
      CREATE TRIGGER tr_events_notify AFTER INSERT ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_notify()`);
  }
}
