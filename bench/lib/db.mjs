import argon2 from 'argon2';
import { Redis } from 'ioredis';
import pg from 'pg';
import { config, dataset } from './config.mjs';
import { KIND } from './ids.mjs';

/** @param {string} sql @param {unknown[]} [params] */
export async function query(sql, params = []) {
  const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'itn-bench' });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Drops and recreates the bench database (only it: the name was checked to contain "bench"). */
export async function resetDatabase() {
  const url = new URL(config.databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), application_name: 'itn-bench' });
  await admin.connect();
  try {
    const ident = `"${name.replace(/"/g, '""')}"`;
    await admin.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${ident}`);
  } finally {
    await admin.end();
  }
}

export async function flushRedis() {
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

export async function serverInfo() {
  const [row] = await query(`SELECT current_setting('server_version') AS version,
    current_setting('max_connections')::int AS max_connections,
    current_setting('shared_buffers') AS shared_buffers,
    current_setting('synchronous_commit') AS synchronous_commit`);
  let redisVersion;
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  } catch {
    redisVersion = undefined;
  } finally {
    redis.disconnect();
  }
  return { ...row, redisVersion };
}

/** Connections still free on the server (the superuser reserve excluded). */
export async function freeConnections() {
  const [row] = await query(`SELECT current_setting('max_connections')::int
      - current_setting('superuser_reserved_connections')::int
      - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS free`);
  return row.free;
}

/**
 * Seeds the benchmark galaxy in one transaction, in SQL. Stock enters the books the only way it
 * may (a level and its matching 'adjustment' ledger row; committed volume = sum(on_hand * unit
 * volume)), like the demo seed does. Every trader shares one argon2 hash of a known password.
 */
export async function seed() {
  const started = Date.now();
  const hash = await argon2.hash(dataset.traderPassword, { type: argon2.argon2id });
  const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'itn-bench' });
  await client.connect();
  const d = dataset;
  try {
    await client.query('BEGIN');
    // Maps (kind, n) to the deterministic uuid of bench/lib/ids.mjs; the pgbench scripts use it too.
    await client.query(`
      CREATE FUNCTION bench_id(kind int, n int) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT (lpad(kind::text, 8, '0') || '-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid $$`);
    await client.query(
      `INSERT INTO planets (id, name, position_x, position_y, position_z)
       SELECT bench_id($1, p), 'Bench planet ' || p, 0.4 + 0.3 * (p - 1), 0.05 * (p - 1), 0
         FROM generate_series(1, $2) AS p`,
      [KIND.planet, d.planets],
    );
    // Station n orbits planet 1 + (n - 1) % planets, a little off its centre.
    await client.query(
      `INSERT INTO stations (id, code, name, planet_id, position_x, position_y, position_z, storage_capacity)
       SELECT bench_id($1, n), 'BEN-' || lpad(n::text, 4, '0'), 'Bench station ' || n, p.id,
              p.position_x + 0.0001 * ((n - 1) / $2), p.position_y, p.position_z, $3
         FROM generate_series(1, $4) AS n
         JOIN planets p ON p.id = bench_id($5, 1 + (n - 1) % $2)`,
      [KIND.station, d.planets, d.storageCapacity, d.stations, KIND.planet],
    );
    await client.query(
      `INSERT INTO commodities (id, sku, name, unit_volume, unit_mass)
       SELECT bench_id($1, n), 'BENCH-' || lpad(n::text, 3, '0'), 'Bench commodity ' || n, 0.5 * (1 + n % 5), 1
         FROM generate_series(1, $2) AS n`,
      [KIND.commodity, d.commodities],
    );
    await client.query(
      `INSERT INTO stock_levels (station_id, commodity_id, on_hand)
       SELECT s.id, c.id, $1 FROM stations s CROSS JOIN commodities c`,
      [d.openingStock],
    );
    await client.query(
      `INSERT INTO stock_ledger (station_id, commodity_id, delta, balance_after, reason, note)
       SELECT station_id, commodity_id, on_hand, on_hand, 'adjustment', 'Opening stock (benchmark seed)'
         FROM stock_levels`,
    );
    await client.query(
      `UPDATE stations s SET committed_volume = (
         SELECT coalesce(sum(l.on_hand * c.unit_volume), 0)
           FROM stock_levels l JOIN commodities c ON c.id = l.commodity_id
          WHERE l.station_id = s.id)`,
    );
    await client.query(
      `INSERT INTO users (id, email, password_hash, role)
       SELECT bench_id($1, t), 'trader' || t || '@bench.itn', $2, 'trader' FROM generate_series(1, $3) AS t`,
      [KIND.user, hash, d.traders],
    );
    await client.query(`INSERT INTO users (id, email, password_hash, role) VALUES (bench_id($1, 0), $2, $3, 'admin')`, [
      KIND.user,
      d.adminEmail,
      hash,
    ]);
    await client.query(
      `INSERT INTO station_members (station_id, user_id)
       SELECT bench_id($1, 1 + (t + k * $2) % $3), bench_id($4, t)
         FROM generate_series(1, $5) AS t, generate_series(0, $6 - 1) AS k`,
      [KIND.station, d.memberStride, d.stations, KIND.user, d.traders, d.membershipsPerTrader],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
  const [counts] = await query(`SELECT
      (SELECT count(*) FROM stations)::int AS stations,
      (SELECT count(*) FROM commodities)::int AS commodities,
      (SELECT count(*) FROM stock_levels)::int AS stock_levels,
      (SELECT count(*) FROM users WHERE role = 'trader')::int AS traders,
      (SELECT count(*) FROM station_members)::int AS memberships,
      (SELECT bool_and(committed_volume = v) FROM stations s
         JOIN (SELECT l.station_id, sum(l.on_hand * c.unit_volume) AS v
                 FROM stock_levels l JOIN commodities c ON c.id = l.commodity_id GROUP BY 1) x
           ON x.station_id = s.id) AS books_consistent`);
  return { ...counts, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

/**
 * ANALYZE, after a phase's warm-up. The trade tables are seeded empty and analyzed empty, and
 * the phases start seconds later, long before autovacuum's first round (autovacuum_naptime,
 * a minute) would give them statistics, as it would on a live database. ANALYZE also makes
 * the service's connections plan their cached statements again: planned while the tables were
 * empty, the foreign-key check of every trade line scanned all of `trades` (create_shipment
 * took 4.6 ms per call instead of 1.8 in one run), which pgbench, connecting later, never paid.
 */
export async function refreshStatistics() {
  await query('ANALYZE');
}

/**
 * Waits until the shipment relay has read every `shipment.status_changed` event, so a phase
 * does not start while a restarted service is still working through a backlog.
 * @param {number} timeoutMs
 */
export async function waitRelayIdle(timeoutMs) {
  const started = Date.now();
  for (;;) {
    const [row] = await query(`SELECT count(*)::int AS pending FROM events e
       WHERE e.type = 'shipment.status_changed'
         AND (e.tx_id, e.id) > (coalesce((SELECT tx_id FROM relay_cursors WHERE name = 'shipments'), '0'::xid8),
                                coalesce((SELECT event_id FROM relay_cursors WHERE name = 'shipments'), 0))`).catch(
      () => [{ pending: -1 }],
    );
    if (row.pending === 0) return { waitedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) return { waitedMs: Date.now() - started, pendingEvents: row.pending };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * What PostgreSQL has done so far: transactions of the bench database, and WAL records and
 * flushes of the whole server. Two readings, divided by the trades between them, tell the
 * database work a trade costs. WAL records per trade do not move with the machine's speed;
 * transactions and flushes do somewhat, as they count how many commits shared a flush and
 * how many reads of the log the notifications of a busy second were folded into.
 */
export async function serverCounters() {
  const [row] = await query(`SELECT d.xact_commit + d.xact_rollback AS transactions, w.wal_records, w.wal_sync
    FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()`);
  return {
    transactions: Number(row.transactions),
    walRecords: Number(row.wal_records),
    walFlushes: Number(row.wal_sync),
  };
}

/** How long after the load stops the counters are read: a backend publishes its counts within a second of going idle. */
export const COUNTERS_SETTLE_MS = 1500;

/**
 * Per trade, between two readings of serverCounters().
 * @param {Awaited<ReturnType<typeof serverCounters>>} before
 * @param {Awaited<ReturnType<typeof serverCounters>>} after
 * @param {number} trades
 */
export function countersPerTrade(before, after, trades) {
  const per = (/** @type {number} */ n) => (trades > 0 ? Math.round((n / trades) * 100) / 100 : null);
  return {
    transactions: per(after.transactions - before.transactions),
    walRecords: per(after.walRecords - before.walRecords),
    walFlushes: per(after.walFlushes - before.walFlushes),
  };
}
