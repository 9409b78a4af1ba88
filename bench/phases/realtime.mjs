import path from 'node:path';
import { BENCH_DIR, config, dataset } from '../lib/config.mjs';
import { countersPerTrade, query, refreshStatistics, serverCounters } from '../lib/db.mjs';
import { memberStation, stationId } from '../lib/ids.mjs';
import { paced } from '../lib/pacer.mjs';
import { forkTracked, startSampler, stopTracked } from '../lib/procs.mjs';
import { randomTradeRequest } from './trades.mjs';

/** How long deliveries may trail the last trade before they count as missing. */
const GRACE_MS = 5000;

/** The unmeasured warm-up before each timed run (the trade phase's rule). */
const WARMUP_SECONDS = Math.min(3, Math.max(1, Math.round(config.seconds / 5)));

/**
 * The follower hands out events only below the oldest running transaction, and transaction ids
 * are shared by every database of the server: a transaction open in another database holds
 * delivery back. This samples, every 250 ms, the age of the oldest transaction holding an id
 * outside the bench database, so the report can tell that wait from the service's own.
 */
function watchOtherTransactions() {
  /** @type {number[]} */
  const ages = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const [row] = await query(
        `SELECT coalesce(extract(epoch FROM max(clock_timestamp() - xact_start)) * 1000, 0)::float8 AS ms
           FROM pg_stat_activity
          WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL`,
      ).catch(() => [{ ms: 0 }]);
      ages.push(row.ms);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const sorted = [...ages].sort((a, b) => a - b);
      const at = (/** @type {number} */ p) =>
        Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
      return {
        samples: sorted.length,
        sampledWithOneOpenPercent: sorted.length
          ? Math.round((100 * sorted.filter((a) => a > 0).length) / sorted.length)
          : 0,
        oldestAgeMs: { p50: at(0.5), p95: at(0.95), max: Math.round(sorted[sorted.length - 1] ?? 0) },
      };
    },
  };
}

/**
 * @param {import('../lib/procs.mjs').Tracked} t
 * @param {object} msg
 * @param {string} type
 * @param {number} timeoutMs
 */
function ask(t, msg, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      t.child.off('message', onMessage);
      reject(new Error(`realtime clients: no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (/** @type {any} */ m) => {
      if (m?.type !== type) return;
      clearTimeout(timer);
      t.child.off('message', onMessage);
      resolve(m);
    };
    t.child.on('message', onMessage);
    t.child.send(msg);
  });
}

/**
 * `subscribers` Socket.IO clients (in a child process), each subscribed to one station of its
 * trader, while trades are posted at a fixed rate; measures, per trade.created delivery, the
 * client's receive time minus the event's occurredAt (the trade transaction's now()).
 * @param {{ service: { baseUrl: string, child: import('node:child_process').ChildProcess }, tokens: string[], database: string, tradesPerSecond?: number }} ctx
 */
export async function realtimePhase(ctx) {
  const { tokens } = ctx;
  const clients = Array.from({ length: config.subscribers }, (_, i) => {
    const t = i % tokens.length;
    const k = Math.floor(i / tokens.length) % dataset.membershipsPerTrader;
    return { token: tokens[t], stationId: stationId(memberStation(t + 1, k)) };
  });

  const child = forkTracked('realtime-clients', path.join(BENCH_DIR, 'realtime-clients.mjs'));
  try {
    const connected = /** @type {any} */ (
      await ask(child, { cmd: 'connect', url: ctx.service.baseUrl, clients, concurrency: 50 }, 'connected', 180_000)
    );
    if (connected.connected === 0) throw new Error(`no subscriber connected: ${JSON.stringify(connected.errors)}`);

    /** One timed run at `rate` trades/s with the connected subscribers. @param {number} rate */
    const measure = async (rate) => {
      // Unmeasured warm-up at the same rate, as in the trade phase: the first trades of a
      // restarted service also pay for preparing statements and compiling code.
      await paced({
        url: ctx.service.baseUrl,
        rate,
        seconds: WARMUP_SECONDS,
        maxSockets: config.connections,
        request: () => randomTradeRequest(tokens),
      });
      await refreshStatistics();
      await new Promise((r) => setTimeout(r, 1000));
      const counters = await serverCounters();
      const [{ now: dbStart }] = await query('SELECT clock_timestamp() AS now');
      await ask(child, { cmd: 'start', since: Date.now() }, 'started', 10_000);
      const olderTx = watchOtherTransactions();
      const sampler = startSampler({
        pids: {
          service: /** @type {number} */ (ctx.service.child.pid),
          clients: /** @type {number} */ (child.child.pid),
        },
        database: ctx.database,
      });
      const load = await paced({
        url: ctx.service.baseUrl,
        rate,
        seconds: config.seconds,
        maxSockets: config.connections,
        request: () => randomTradeRequest(tokens),
      });
      // CPU is averaged over the sending window only: the grace period after it is mostly idle.
      const usage = sampler.stop();
      await new Promise((r) => setTimeout(r, GRACE_MS));
      const otherTransactions = await olderTx.stop();
      const result = /** @type {any} */ (await ask(child, { cmd: 'stop' }, 'result', 30_000));
      const trades = await query(
        'SELECT seller_station_id AS s, buyer_station_id AS b FROM trades WHERE created_at >= $1',
        [dbStart],
      );
      // Read after the grace period: every backend has published its counts by then.
      const postgresPerTrade = countersPerTrade(counters, await serverCounters(), trades.length);
      // Every subscribed socket of the seller's or the buyer's station should get the trade once.
      const subs = /** @type {Record<string, number>} */ (connected.perStation);
      const expected = trades.reduce((n, t) => n + (subs[t.s] ?? 0) + (subs[t.b] ?? 0), 0);
      return {
        targetTradeRate: rate,
        achievedTradeRate: load.requestsPerSecond,
        tradesCommitted: trades.length,
        tradeLoad: load,
        deliveriesExpected: expected,
        deliveriesReceived: result.received,
        deliveryRatio: expected ? Math.round((result.received / expected) * 10000) / 10000 : null,
        otherEventsReceived: result.otherEventsReceived,
        stillConnectedAtEnd: result.stillConnected,
        latencyMs: result.latencyMs,
        latencyBySecondMs: result.bySecond,
        clientEventLoopDelayMs: result.eventLoopDelayMs,
        otherDatabasesTransactions: otherTransactions,
        peakRssMb: usage.peakRssMb,
        cpuCores: usage.cpuCores,
        postgresPerTrade,
      };
    };

    const headline = await measure(config.tradeRate);
    // When the service cannot keep up with the target rate, the latency above is mostly queueing
    // in front of the trades; a second run at half the rate the trades phase reached shows what
    // the delivery path itself adds.
    let belowSaturation;
    const sustainable = Math.floor((ctx.tradesPerSecond ?? 0) / 2);
    if (headline.achievedTradeRate < 0.95 * config.tradeRate && sustainable >= 1) {
      await new Promise((r) => setTimeout(r, 3000));
      belowSaturation = await measure(Math.min(sustainable, config.tradeRate));
    }
    return {
      subscribers: config.subscribers,
      connected: connected.connected,
      connectFailures: connected.failed,
      connectErrors: connected.errors,
      connectSeconds: Math.round(connected.ms / 100) / 10,
      graceMs: GRACE_MS,
      warmupSeconds: WARMUP_SECONDS,
      ...headline,
      belowSaturation,
    };
  } finally {
    if (child.child.connected) child.child.send({ cmd: 'exit' });
    await stopTracked(child, 5000);
  }
}
