import { setTimeout as sleep } from 'node:timers/promises';
import { config, dataset } from '../lib/config.mjs';
import { query, waitRelayIdle } from '../lib/db.mjs';
import { commodityId, randInt, stationId } from '../lib/ids.mjs';
import { cannon, login, summarise } from '../lib/load.mjs';
import { startSampler, stopTracked } from '../lib/procs.mjs';

function randomShipment() {
  const o = randInt(1, dataset.stations);
  const d = 1 + ((o - 1 + randInt(1, dataset.stations - 1)) % dataset.stations);
  const base = randInt(0, dataset.commodities - 1);
  const lines = randInt(1, 3);
  return {
    originStationId: stationId(o),
    destinationStationId: stationId(d),
    items: Array.from({ length: lines }, (_, i) => ({
      commodityId: commodityId(1 + ((base + i * 7) % dataset.commodities)),
      quantity: randInt(1, 10),
    })),
  };
}

/** @param {Date} since counts the shipments created from then on */
async function statusCounts(since) {
  const [row] = await query(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
            count(*) FILTER (WHERE status IN ('failed', 'cancelled'))::int AS ended_otherwise,
            extract(epoch FROM max(delivered_at) - min(created_at))::float8 AS created_to_delivered,
            extract(epoch FROM max(delivered_at) - min(departed_at))::float8 AS departed_to_delivered
       FROM shipments WHERE created_at >= $1`,
    [since],
  );
  return row;
}

/**
 * Polls until every shipment created since `since` has ended (bounded).
 * @param {Date} since @param {number} created @param {number} timeoutMs
 */
async function waitEnded(since, created, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let counts = await statusCounts(since);
  while (counts.delivered + counts.ended_otherwise < created && Date.now() < deadline) {
    await sleep(100);
    counts = await statusCounts(since);
  }
  return counts;
}

const now = async () => /** @type {Date} */ ((await query('SELECT clock_timestamp() AS now'))[0].now);
const round = (/** @type {number} */ v, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Lifecycles per second of one worker. With SIM_TIME_SCALE=1e9 and LOADING_TIME_SECONDS=0 a
 * shipment is due to leave and to arrive at once, so the time to deliver is the time the relay,
 * the queue and the worker need to run every step.
 *
 * 1. `created and delivered`: BENCH_SHIPMENTS shipments are created as fast as possible while
 *    the worker runs; lifecycles/s = delivered / (last delivered_at - first created_at). When the
 *    worker keeps up, this is bounded by how fast the API creates them.
 * 2. `worker drain`: the worker is stopped, as many shipments are created, a fresh worker is
 *    started; lifecycles/s = delivered / (last delivered_at - first departed_at): the worker
 *    alone, with a full backlog.
 * @param {{ service: { baseUrl: string, child: import('node:child_process').ChildProcess }, startWorker: () => import('../lib/procs.mjs').Tracked, database: string }} ctx
 */
export async function shipmentsPhase(ctx) {
  const admin = await login(ctx.service.baseUrl, dataset.adminEmail, dataset.traderPassword);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${admin}` };
  const apiPid = /** @type {number} */ (ctx.service.child.pid);
  const endWait = Math.max(120_000, config.shipments * 60);
  const create = async () =>
    summarise(
      await cannon(
        {
          url: ctx.service.baseUrl,
          connections: 32,
          amount: config.shipments,
          requests: [
            {
              method: 'POST',
              path: '/api/cargo',
              setupRequest: (/** @type {any} */ req) => ({ ...req, headers, body: JSON.stringify(randomShipment()) }),
            },
          ],
        },
        120,
      ),
    );

  let worker = ctx.startWorker();
  try {
    const relayCatchUp = await waitRelayIdle(180_000);
    // One shipment through the whole pipeline first: the worker is up before anything is timed.
    const probeStart = await now();
    const probe = await fetch(`${ctx.service.baseUrl}/api/cargo`, {
      method: 'POST',
      headers,
      body: JSON.stringify(randomShipment()),
    });
    if (probe.status !== 201) throw new Error(`POST /api/cargo: HTTP ${probe.status} ${await probe.text()}`);
    if ((await waitEnded(probeStart, 1, 60_000)).delivered < 1) {
      throw new Error(`the probe shipment was not delivered within 60 s:\n${worker.tail()}`);
    }

    // 1. Created and delivered, with the worker running.
    const start = await now();
    let sampler = startSampler({
      pids: { api: apiPid, worker: /** @type {number} */ (worker.child.pid) },
      database: ctx.database,
    });
    const creation = await create();
    const created = creation.statusCodes['201'] ?? 0;
    const counts = await waitEnded(start, created, endWait);
    let usage = sampler.stop();
    const span = counts.created_to_delivered ?? 0;
    const createdAndDelivered = {
      created,
      creation,
      delivered: counts.delivered,
      failedOrCancelled: counts.ended_otherwise,
      complete: counts.delivered + counts.ended_otherwise >= created,
      firstCreatedToLastDeliveredSeconds: round(span),
      lifecyclesPerSecond: span > 0 ? round(counts.delivered / span, 1) : null,
      peakRssMb: usage.peakRssMb,
      cpuCores: usage.cpuCores,
      workerLog: worker.tail().split('\n').slice(-10),
    };

    // 2. Worker drain: a backlog first, then one fresh worker.
    await stopTracked(worker);
    const backlogStart = await now();
    const backlog = await create();
    const queued = backlog.statusCodes['201'] ?? 0;
    const t0 = Date.now();
    worker = ctx.startWorker();
    sampler = startSampler({ pids: { worker: /** @type {number} */ (worker.child.pid) }, database: ctx.database });
    const drained = await waitEnded(backlogStart, queued, endWait);
    const wall = (Date.now() - t0) / 1000;
    usage = sampler.stop();
    const drainSpan = drained.departed_to_delivered ?? 0;
    const workerDrain = {
      queued,
      delivered: drained.delivered,
      failedOrCancelled: drained.ended_otherwise,
      complete: drained.delivered + drained.ended_otherwise >= queued,
      firstDepartedToLastDeliveredSeconds: round(drainSpan),
      workerStartToLastDeliveredSeconds: round(wall),
      lifecyclesPerSecond: drainSpan > 0 ? round(drained.delivered / drainSpan, 1) : null,
      peakRssMb: usage.peakRssMb,
      cpuCores: usage.cpuCores,
      workerLog: worker.tail().split('\n').slice(-10),
    };
    return { relayCatchUp, createdAndDelivered, workerDrain };
  } finally {
    await stopTracked(worker);
  }
}
