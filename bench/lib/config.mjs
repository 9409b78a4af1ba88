import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO_ROOT = path.dirname(BENCH_DIR);
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const API_ENTRY = path.join(REPO_ROOT, 'dist/apps/api/src/main.js');
export const WORKER_ENTRY = path.join(REPO_ROOT, 'dist/apps/worker/src/main.js');

/**
 * The service's configuration defaults, read from its build (libs/core/src/config/environment.ts
 * compiled), so that the harness never keeps a copy of them: the pool size a run used when
 * BENCH_DATABASE_POOL_SIZE is not set, say. Call it once the build is known to exist.
 * @returns {{ DATABASE_POOL_SIZE: number }}
 */
export function serviceDefaults() {
  const { Environment } = createRequire(import.meta.url)(
    path.join(REPO_ROOT, 'dist/libs/core/src/config/environment.js'),
  );
  return new Environment();
}

/**
 * The Node flags of `npm run start:prod` (package.json): the service and the worker are run
 * with them, as in production.
 */
export const PRODUCTION_NODE_FLAGS = (() => {
  const script = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
  const match = /^(?:exec\s+)?node((?:\s+--\S+)*)\s+dist\/apps\/api\/src\/main\.js$/.exec(script ?? '');
  if (!match)
    throw new Error(`package.json start:prod is not "[exec] node [--flags] dist/apps/api/src/main.js": ${script}`);
  return match[1].split(/\s+/).filter(Boolean);
})();

/** @param {string} name @param {number} fallback */
function num(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return n;
}

/** Every phase, in the order a run takes them. */
export const ALL_PHASES = ['trades', 'pgbench', 'inventory', 'realtime', 'shipments'];

const databaseUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/itn_bench';
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/11';

export const config = {
  databaseUrl,
  redisUrl,
  /** Length of every timed load phase. */
  seconds: num('BENCH_SECONDS', 20),
  connections: num('BENCH_CONNECTIONS', 64),
  tradeRate: num('BENCH_TRADE_RATE', 500),
  subscribers: num('BENCH_SUBSCRIBERS', 1000),
  tokens: num('BENCH_TOKENS', 200),
  shipments: num('BENCH_SHIPMENTS', 2000),
  /** The service's pool; its own default unless set. */
  poolSize: process.env.BENCH_DATABASE_POOL_SIZE ? num('BENCH_DATABASE_POOL_SIZE', 0) : undefined,
  pgbenchPath: process.env.BENCH_PGBENCH || '/usr/bin/pgbench',
  /** The phases to run, in their fixed order; all unless set (a partial run is for profiling). */
  phases: phaseList(process.env.BENCH_PHASES),
  /** Node flags of the service and worker processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  serviceNodeArgs: (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  /** The service's FAST_PATHS (`on`, its default, or `off`), for A/B runs of the shortcuts. */
  fastPaths: fastPathsOf(process.env.BENCH_FAST_PATHS),
};

/** @param {string | undefined} raw */
function fastPathsOf(raw) {
  if (raw === undefined || raw.trim() === '') return 'on';
  if (raw !== 'on' && raw !== 'off') throw new Error(`BENCH_FAST_PATHS must be on or off (got ${JSON.stringify(raw)})`);
  return raw;
}

/** @param {string | undefined} raw */
function phaseList(raw) {
  const all = ALL_PHASES;
  if (raw === undefined || raw.trim() === '') return all;
  const chosen = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = chosen.filter((name) => !all.includes(name));
  if (unknown.length) throw new Error(`BENCH_PHASES: unknown phase(s) ${unknown.join(', ')}; known: ${all.join(', ')}`);
  return all.filter((name) => chosen.includes(name));
}

/** The dataset. The pgbench scripts derive ids and memberships from the same numbers. */
export const dataset = {
  planets: 20,
  stations: 200,
  commodities: 50,
  traders: 1000,
  /** Each trader is a member of this many stations: 1 + (trader + k * MEMBER_STRIDE) % stations. */
  membershipsPerTrader: 3,
  memberStride: 67,
  openingStock: 1_000_000,
  storageCapacity: 1_000_000_000_000,
  traderPassword: 'bench-trader-password',
  adminEmail: 'admin@bench.itn',
};

export const secrets = {
  jwtSecret: 'bench-only-jwt-secret-0123456789abcdef0123456789',
  adminPassword: 'bench-admin-password',
};

/** Safety: this harness drops its database, so it must be a local one whose name says bench. */
export function assertSafeTargets() {
  const db = new URL(config.databaseUrl);
  const name = decodeURIComponent(db.pathname.slice(1));
  if (!['127.0.0.1', 'localhost'].includes(db.hostname)) {
    throw new Error(`BENCH_DATABASE_URL must point at 127.0.0.1 (got ${db.hostname})`);
  }
  if (!/bench/i.test(name)) {
    throw new Error(`The benchmark drops its database; refusing a database whose name lacks "bench": ${name}`);
  }
  const redis = new URL(config.redisUrl);
  if (!['127.0.0.1', 'localhost'].includes(redis.hostname)) {
    throw new Error(`BENCH_REDIS_URL must point at 127.0.0.1 (got ${redis.hostname})`);
  }
  const redisDb = Number(redis.pathname.slice(1) || 0);
  if (redisDb !== 11 && !process.env.BENCH_REDIS_URL) throw new Error('Redis DB 11 expected');
  return { databaseName: name, redisDb };
}
