import { comparePositions, EventFollower, EventLogReader, LogEvent } from '@itn/events';
import { ConfigService } from '@nestjs/config';
import { Client, Pool } from 'pg';
import { QueryRunner } from 'typeorm';
import { waitFor } from './helpers/invariants';
import { createTestApp, TestApp } from './helpers/test-app';

describe('Event log order (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('reads and follows events in numeric id order where the ids gain a digit', async () => {
    const reader = t.app.get(EventLogReader);
    const follower = t.app.get(EventFollower);
    const before = await reader.head();
    const followed: LogEvent[] = [];
    const unsubscribe = follower.subscribe((e) => followed.push(e));
    try {
      // 999999998 .. 1000000001: as text, '1000000000' sorts before '999999998'.
      const ids = ['999999998', '999999999', '1000000000', '1000000001'];
      await t.dataSource.transaction((tx) =>
        tx.query(
          `INSERT INTO events (id, type, station_ids, payload) OVERRIDING SYSTEM VALUE
           SELECT i, 'station.test', '{}', jsonb_build_object('n', i) FROM unnest($1::bigint[]) AS i`,
          [ids],
        ),
      );

      const firstThree = await reader.read(before, { limit: 3 });
      expect(firstThree.map((e) => e.event.id)).toEqual(ids.slice(0, 3));
      const rest = await reader.read(firstThree[2].position, { limit: 10 });
      expect(rest.map((e) => e.event.id)).toEqual(ids.slice(3));
      expect((await reader.head()).id).toBe('1000000001');

      const mine = await waitFor(
        async () => followed.filter((e) => ids.includes(e.event.id)),
        (got) => got.length >= ids.length,
      );
      // Once each, in order: a cursor that went back would hand some of them out again.
      expect(mine.map((e) => e.event.id)).toEqual(ids);
      // At or past the last of them: other writers of a shared database may come after it.
      expect(comparePositions(follower.position!, mine[3].position)).toBeGreaterThanOrEqual(0);
    } finally {
      unsubscribe();
      await t.dataSource.query(`DELETE FROM events WHERE id >= 999999998`);
    }
  });

  it('hands events out while requests hold every pooled connection', async () => {
    const follower = t.app.get(EventFollower);
    const pool = (t.dataSource.driver as unknown as { master: Pool }).master;
    const held: QueryRunner[] = [];
    let id: string | undefined;
    const writer = new Client({ connectionString: t.app.get(ConfigService).get<string>('DATABASE_URL') });
    const followed: LogEvent[] = [];
    const unsubscribe = follower.subscribe((e) => followed.push(e));
    try {
      for (let i = 0; i < pool.options.max; i++) {
        const runner = t.dataSource.createQueryRunner();
        await runner.connect();
        held.push(runner);
      }
      expect(pool.totalCount).toBe(pool.options.max);
      expect(pool.idleCount).toBe(0);
      await writer.connect();
      [{ id }] = (
        await writer.query<{ id: string }>(
          `INSERT INTO events (type, station_ids, payload) VALUES ('station.test', '{}', '{}') RETURNING id::text`,
        )
      ).rows;

      const got = await waitFor(
        async () => followed.find((e) => e.event.id === id),
        (e) => e !== undefined,
        { timeoutMs: 5000 },
      );
      expect(got?.event.type).toBe('station.test');
    } finally {
      unsubscribe();
      await Promise.all(held.map((r) => r.release()));
      if (id) await writer.query(`DELETE FROM events WHERE id = $1`, [id]);
      await writer.end();
    }
  });

  it('reads on a new connection after its own was lost', async () => {
    const follower = t.app.get(EventFollower);
    const followed: LogEvent[] = [];
    const unsubscribe = follower.subscribe((e) => followed.push(e));
    const insertAndFollow = async () => {
      const [{ id }] = await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO events (type, station_ids, payload) VALUES ('station.test', '{}', '{}') RETURNING id::text`,
      );
      await waitFor(
        async () => followed.some((e) => e.event.id === id),
        (seen) => seen,
        { timeoutMs: 10_000 },
      );
    };
    try {
      await insertAndFollow(); // the follower's connection is open now
      const terminated = await t.dataSource.query<{ ok: boolean }[]>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE application_name = 'itn-event-follower' AND datname = current_database()`,
      );
      expect(terminated.length).toBeGreaterThan(0);
      await insertAndFollow();
    } finally {
      unsubscribe();
      await t.dataSource.query(`DELETE FROM events WHERE type = 'station.test'`);
    }
  });
});
