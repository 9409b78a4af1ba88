/**
 * The benchmark harness (issue 9): measures trades, inventory reads, real-time delivery and
 * shipment lifecycles of the built service, each beside what PostgreSQL (pgbench) or a bare
 * Node server does on the same machine in the same run. See bench/README.md.
 *
 * Usage: npm run build && node bench/run.mjs
 */
import { existsSync } from 'node:fs';
import {
  API_ENTRY,
  PRODUCTION_NODE_FLAGS,
  WORKER_ENTRY,
  assertSafeTargets,
  config,
  dataset,
  serviceDefaults,
} from './lib/config.mjs';
import { flushRedis, resetDatabase, seed, serverInfo, waitRelayIdle } from './lib/db.mjs';
import { loginTraders } from './lib/load.mjs';
import {
  backgroundLoad,
  installCleanupHandlers,
  serviceEnv,
  startService,
  startWorker,
  stopAll,
  stopTracked,
} from './lib/procs.mjs';
import { commandLine, judge, machineInfo, writeResults } from './lib/report.mjs';
import { inventoryPhase } from './phases/inventory.mjs';
import { pgbenchPhase, pgbenchVersion } from './phases/pgbench.mjs';
import { realtimePhase } from './phases/realtime.mjs';
import { shipmentsPhase } from './phases/shipments.mjs';
import { tradesPhase } from './phases/trades.mjs';

/**
 * Trades, inventory and real-time run with the worker embedded but idle: at SIM_TIME_SCALE=1
 * a shipment waits LOADING_TIME_SECONDS (2 h by default) before its first step, so nothing but
 * the relay (one delayed BullMQ job per new shipment) competes with the requests.
 */
const STEADY = { WORKER_MODE: 'embedded', SIM_TIME_SCALE: '1' };
const STEADY_LOADING_SECONDS = 7200;
/** Shipments: every step due at once, one worker process beside an API that runs none. */
const INSTANT = { WORKER_MODE: 'off', SIM_TIME_SCALE: '1000000000', LOADING_TIME_SECONDS: '0' };

const settle = () => new Promise((r) => setTimeout(r, 3000));

const log = (/** @type {string} */ msg) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main() {
  installCleanupHandlers();
  const { databaseName } = assertSafeTargets();
  for (const entry of [API_ENTRY, WORKER_ENTRY]) {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  }

  /** @type {any} */
  const results = {
    startedAt: new Date().toISOString(),
    command: commandLine(),
    machine: machineInfo(),
    config: {
      seconds: config.seconds,
      connections: config.connections,
      tradeRate: config.tradeRate,
      subscribers: config.subscribers,
      tokens: config.tokens,
      shipments: config.shipments,
      phases: config.phases,
      databasePoolSize: config.poolSize ?? 'service default',
      serviceNodeFlags: [...PRODUCTION_NODE_FLAGS, ...config.serviceNodeArgs],
      fastPaths: config.fastPaths,
      database: databaseName,
      redis: config.redisUrl,
    },
    dataset: {
      planets: dataset.planets,
      stations: dataset.stations,
      commodities: dataset.commodities,
      traders: dataset.traders,
      membershipsPerTrader: dataset.membershipsPerTrader,
      openingStockPerLevel: dataset.openingStock,
    },
    phases: {},
  };
  let failed = false;
  /** @type {any} the API process of the phase running, to tell a dead service from a failed phase */
  let currentService;
  // Other work on the machine shows in every figure; record how much there was.
  results.machine.busyCoresBeforeRun = await backgroundLoad(2000);

  /** @param {string} name @param {() => Promise<any>} fn */
  const phase = async (name, fn) => {
    if (!config.phases.includes(name)) return;
    log(`${name}...`);
    const t0 = Date.now();
    try {
      results.phases[name] = await fn();
      log(`${name} done in ${Math.round((Date.now() - t0) / 1000)} s`);
    } catch (e) {
      failed = true;
      const svc = currentService;
      const died =
        svc && (svc.child.exitCode !== null || svc.child.signalCode !== null)
          ? ` (the service exited meanwhile, code ${svc.child.exitCode}, signal ${svc.child.signalCode})`
          : '';
      results.phases[name] = { error: `${/** @type {Error} */ (e).message ?? String(e)}${died}` };
      console.error(`[bench] ${name} failed: ${/** @type {Error} */ (e).stack ?? e}`);
    }
  };

  try {
    log(`resetting database ${databaseName} and Redis ${config.redisUrl}`);
    await resetDatabase();
    await flushRedis();

    log('starting the service (migrations run on start)');
    let service = await startService('api', STEADY);
    currentService = service;
    results.server = await serverInfo();
    results.pgbenchVersion = await pgbenchVersion();
    results.config.databasePoolSize = Number(service.env.DATABASE_POOL_SIZE ?? serviceDefaults().DATABASE_POOL_SIZE);

    log('seeding');
    results.seed = await seed();
    log(`seeded ${JSON.stringify(results.seed)}`);
    log(`logging in ${config.tokens} traders`);
    const t0 = Date.now();
    const tokens = await loginTraders(service.baseUrl, config.tokens);
    results.seed.loginSeconds = Math.round((Date.now() - t0) / 100) / 10;

    results.serviceExits = [];
    /** If the service died since the last phase, say so in the results and start it again. */
    const alive = async () => {
      if (service.child.exitCode === null && service.child.signalCode === null) return;
      const exit = {
        beforePhase: Object.keys(results.phases).length,
        code: service.child.exitCode,
        signal: service.child.signalCode,
        output: service.tail().split('\n').slice(-20).join('\n'),
      };
      results.serviceExits.push(exit);
      log(`the service had exited (code ${exit.code}, signal ${exit.signal}); starting it again`);
      service = await startService('api', STEADY);
      currentService = service;
    };
    const ctx = () => ({ service, tokens, database: databaseName });

    await phase('trades', () => tradesPhase(ctx()));

    // The ceiling runs with the service stopped, so PostgreSQL has the machine to itself.
    // Requests still in flight when the load stopped finish first.
    await settle();
    await stopTracked(service);
    await phase('pgbench', () =>
      pgbenchPhase({
        database: databaseName,
        simTimeScale: 1,
        loadingSeconds: STEADY_LOADING_SECONDS,
        poolSize: results.config.databasePoolSize,
      }),
    );

    log('restarting the service');
    service = await startService('api', STEADY);
    currentService = service;
    // pgbench's shipments are new to the relay; let it enqueue them before measuring.
    results.relayCatchUp = await waitRelayIdle(180_000);
    // The event follower starts at the log's head and may replay what pgbench wrote; let it.
    await settle();

    await alive();
    await phase('inventory', () => inventoryPhase(ctx()));
    await alive();
    await phase('realtime', () =>
      realtimePhase({ ...ctx(), tradesPerSecond: results.phases.trades?.requestsPerSecond }),
    );
    await settle();
    await stopTracked(service);

    await phase('shipments', async () => {
      const api = await startService('api', INSTANT);
      currentService = api;
      try {
        return await shipmentsPhase({
          service: api,
          startWorker: () => startWorker('worker', serviceEnv(0, INSTANT)),
          database: databaseName,
        });
      } finally {
        await stopTracked(api);
      }
    });
  } catch (e) {
    failed = true;
    results.error = /** @type {Error} */ (e).message;
    console.error(`[bench] aborted: ${/** @type {Error} */ (e).stack ?? e}`);
  } finally {
    await stopAll();
  }

  results.finishedAt = new Date().toISOString();
  results.judgement = judge(results);
  const { files, md } = writeResults(results);
  console.log(`\n${md}`);
  log(`results: ${files.join(', ')}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (e) => {
    console.error(e);
    await stopAll();
    process.exit(1);
  },
);
