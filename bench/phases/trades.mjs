import { config } from '../lib/config.mjs';
import { COUNTERS_SETTLE_MS, countersPerTrade, query, refreshStatistics, serverCounters } from '../lib/db.mjs';
import { randInt, randomTrade } from '../lib/ids.mjs';
import { cannon, summarise } from '../lib/load.mjs';
import { startSampler } from '../lib/procs.mjs';

/**
 * A random trade as a random logged-in trader, from one of that trader's stations.
 * @param {string[]} tokens
 */
export function randomTradeRequest(tokens) {
  const i = randInt(0, tokens.length - 1);
  return {
    method: 'POST',
    path: '/api/trades',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` },
    body: JSON.stringify(randomTrade(i + 1)),
  };
}

/** autocannon's request list for random trades. @param {string[]} tokens */
export function tradeRequests(tokens) {
  return [
    {
      method: 'POST',
      path: '/api/trades',
      setupRequest: (/** @type {any} */ req) => ({ ...req, ...randomTradeRequest(tokens) }),
    },
  ];
}

/**
 * POST /api/trades at `connections` concurrent connections for `seconds`, after a short
 * unmeasured warm-up and an ANALYZE; the service's RSS is sampled every 200 ms meanwhile.
 * @param {{ service: { baseUrl: string, child: import('node:child_process').ChildProcess }, tokens: string[], database: string }} ctx
 */
export async function tradesPhase(ctx) {
  const { service, tokens } = ctx;
  const opts = { url: service.baseUrl, connections: config.connections, requests: tradeRequests(tokens) };
  const warmup = Math.min(3, Math.max(1, Math.round(config.seconds / 5)));
  await cannon({ ...opts, duration: warmup }, warmup);
  await refreshStatistics();
  await new Promise((r) => setTimeout(r, COUNTERS_SETTLE_MS));
  const counters = await serverCounters();
  const [{ n: tradesBefore }] = await query('SELECT count(*)::int AS n FROM trades');

  const sampler = startSampler({
    pids: { service: /** @type {number} */ (service.child.pid) },
    database: ctx.database,
  });
  const result = await cannon({ ...opts, duration: config.seconds }, config.seconds);
  const usage = sampler.stop();
  await new Promise((r) => setTimeout(r, COUNTERS_SETTLE_MS));
  const [{ n: tradesAfter }] = await query('SELECT count(*)::int AS n FROM trades');
  const postgresPerTrade = countersPerTrade(counters, await serverCounters(), tradesAfter - tradesBefore);
  const summary = summarise(result);
  const perTrade = (/** @type {number} */ cores) =>
    Math.round(((cores * 1000) / summary.requestsPerSecond) * 100) / 100;
  return {
    connections: config.connections,
    warmupSeconds: warmup,
    ...summary,
    peakRssMb: usage.peakRssMb.service,
    cpuCores: usage.cpuCores,
    // CPU time per trade: less sensitive than throughput to other load on the machine.
    cpuMsPerTrade: { service: perTrade(usage.cpuCores.service), postgres: perTrade(usage.cpuCores.postgresBackends) },
    postgresPerTrade,
  };
}
