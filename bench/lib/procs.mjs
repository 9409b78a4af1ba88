import { spawn, fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_ENTRY, PRODUCTION_NODE_FLAGS, REPO_ROOT, WORKER_ENTRY, config, secrets } from './config.mjs';

/**
 * @typedef {{ name: string, child: import('node:child_process').ChildProcess, exited: Promise<number|null>,
 *             tail: () => string }} Tracked
 */

let cleaningUp = false;

/** Every child this run started; all of them are stopped on exit, failure or Ctrl-C. */
const children = new Set();
/** Load generators in flight, stopped on Ctrl-C. @type {Set<{ stop: () => void }>} */
export const activeLoads = new Set();

/**
 * @param {string} name
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Tracked}
 */
function track(name, child) {
  const lines = [];
  const keep = (chunk) => {
    for (const line of String(chunk).split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 60) lines.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  /** @type {Tracked} */
  const tracked = { name, child, exited, tail: () => lines.join('\n') };
  children.add(tracked);
  void exited.then(() => children.delete(tracked));
  return tracked;
}

/** Minimal, explicit environment: nothing of the caller's service configuration leaks in. */
function baseEnv() {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}

/**
 * @param {string} name
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string,string>, cwd?: string }} [opts]
 */
export function spawnTracked(name, command, args, opts = {}) {
  if (cleaningUp) throw new Error(`not starting ${name}: the run is being stopped`);
  const child = spawn(command, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...baseEnv(), ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(name, child);
}

/** A Node child with an IPC channel. @param {string} name @param {string} modulePath @param {string[]} [args] */
export function forkTracked(name, modulePath, args = []) {
  if (cleaningUp) throw new Error(`not starting ${name}: the run is being stopped`);
  const child = fork(modulePath, args, { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  return track(name, child);
}

/** @param {Tracked} t @param {number} [timeoutMs] */
export async function stopTracked(t, timeoutMs = 10_000) {
  if (t.child.exitCode !== null || t.child.signalCode !== null) return;
  t.child.kill('SIGTERM');
  const done = await Promise.race([t.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
  if (!done) {
    t.child.kill('SIGKILL');
    await Promise.race([t.exited, sleep(2000)]);
  }
}

export async function stopAll() {
  for (const load of activeLoads) {
    try {
      load.stop();
    } catch {
      /* already stopped */
    }
  }
  await Promise.all([...children].map((t) => stopTracked(t)));
}

export function installCleanupHandlers() {
  const onSignal = (signal) => {
    if (cleaningUp) return;
    cleaningUp = true;
    console.error(`\n${signal}: stopping child processes...`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort when the process leaves without going through stopAll (e.g. a crash).
  process.on('exit', () => {
    for (const t of children) {
      try {
        t.child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * The service's environment for a phase: production mode with bench secrets, no demo seed,
 * rate limits out of the way, quiet logs.
 * @param {number} port
 * @param {Record<string, string>} overrides
 */
export function serviceEnv(port, overrides = {}) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    JWT_SECRET: secrets.jwtSecret,
    ADMIN_PASSWORD: secrets.adminPassword,
    ADMIN_EMAIL: 'admin@bench.itn',
    JWT_ACCESS_TTL: '7200',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    // Counted as in production, but out of reach: 200,000 requests per second per caller (one
    // caller's inventory reads exceeded a million a minute on a fast machine).
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_TTL_SECONDS: '5',
    AUTH_RATE_LIMIT_MAX: '10000',
    // Every subscriber connects from 127.0.0.1.
    SOCKET_MAX_PER_ADDRESS: '100000',
    WORKER_MODE: 'embedded',
    SIM_TIME_SCALE: '1',
    // Several processes run side by side: each takes a free metrics port.
    METRICS_PORT: '0',
    ...(config.poolSize ? { DATABASE_POOL_SIZE: String(config.poolSize) } : {}),
    FAST_PATHS: config.fastPaths,
    ...overrides,
  };
}

/**
 * Starts the built API and waits until /health/ready answers 200.
 * @param {string} name
 * @param {Record<string,string>} overrides
 */
export async function startService(name, overrides = {}) {
  const port = await freePort();
  const env = serviceEnv(port, overrides);
  const t = spawnTracked(name, process.execPath, [...PRODUCTION_NODE_FLAGS, ...config.serviceNodeArgs, API_ENTRY], {
    env,
  });
  await waitReady(t, `http://127.0.0.1:${port}`);
  return { ...t, port, baseUrl: `http://127.0.0.1:${port}`, env };
}

/** @param {Record<string,string>} env */
export function startWorker(name, env) {
  return spawnTracked(name, process.execPath, [...PRODUCTION_NODE_FLAGS, ...config.serviceNodeArgs, WORKER_ENTRY], {
    env: { ...env, PORT: '0' },
  });
}

/** @param {Tracked} t @param {string} baseUrl @param {number} [timeoutMs] */
export async function waitReady(t, baseUrl, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (t.child.exitCode !== null) {
      throw new Error(`${t.name} exited with code ${t.child.exitCode} before it was ready:\n${t.tail()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = /** @type {Error} */ (e).message;
    }
    await sleep(250);
  }
  throw new Error(`${t.name} not ready after ${timeoutMs} ms (${last}):\n${t.tail()}`);
}

/** Resident memory of a process in MB, or undefined once it has gone. @param {number} pid */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far. @param {number} pid */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine. */
function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** Backends of PostgreSQL serving `database` (their process titles name it). @param {string} database */
function backendPids(database) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${database} `)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** CPU cores the machine keeps busy over `ms` before the harness starts anything. @param {number} ms */
export async function backgroundLoad(ms) {
  const a = machineCpu();
  await sleep(ms);
  const b = machineCpu();
  return Math.round(((b.busy - a.busy) / (ms / 1000)) * 100) / 100;
}

/**
 * Samples, while a phase runs, the RSS of the given processes every 200 ms, and measures the
 * CPU each group used (in cores: CPU seconds per second of wall time): the named processes,
 * the PostgreSQL backends of the bench database, this harness, and the whole machine. What the
 * machine used beyond those is other load on the machine.
 * @param {{ pids: Record<string, number>, database: string }} opts
 */
export function startSampler({ pids, database }) {
  const peaks = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) ?? 0]));
  // A process may exit before the phase ends (pgbench does): its last reading stands.
  const cpuLast = { ...cpu0 };
  const sample = () => {
    for (const [k, pid] of Object.entries(pids)) {
      const mb = rssMb(pid);
      if (mb !== undefined && mb > peaks[k]) peaks[k] = mb;
      cpuLast[k] = cpuSeconds(pid) ?? cpuLast[k];
    }
  };
  sample();
  const timer = setInterval(sample, 200);
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const machine0 = machineCpu();
  /** @type {Map<number, number>} */
  const backends0 = new Map();
  for (const pid of backendPids(database)) backends0.set(pid, cpuSeconds(pid) ?? 0);
  // Backends that start and end inside the phase are caught by a once-a-second scan.
  /** @type {Map<number, number>} */
  const backendsLast = new Map(backends0);
  const scan = setInterval(() => {
    for (const pid of backendPids(database)) backendsLast.set(pid, cpuSeconds(pid) ?? backendsLast.get(pid) ?? 0);
  }, 1000);

  return {
    stop() {
      clearInterval(timer);
      clearInterval(scan);
      sample();
      const wall = (performance.now() - t0) / 1000;
      const cores = (/** @type {number} */ s) => Math.round((s / wall) * 100) / 100;
      const perProcess = Object.fromEntries(Object.keys(pids).map((k) => [k, cores(cpuLast[k] - cpu0[k])]));
      for (const pid of backendPids(database)) backendsLast.set(pid, cpuSeconds(pid) ?? backendsLast.get(pid) ?? 0);
      let backendSeconds = 0;
      for (const [pid, last] of backendsLast) backendSeconds += last - (backends0.get(pid) ?? 0);
      const self = process.cpuUsage(self0);
      const machine1 = machineCpu();
      const machineBusy = cores(machine1.busy - machine0.busy);
      const harness = cores((self.user + self.system) / 1e6);
      const pgBench = cores(backendSeconds);
      const known = Object.values(perProcess).reduce((a, b) => a + b, 0) + harness + pgBench;
      return {
        peakRssMb: Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        cpuCores: {
          ...perProcess,
          postgresBackends: pgBench,
          harness,
          machineBusy,
          otherOnMachine: Math.max(0, Math.round((machineBusy - known) * 100) / 100),
        },
        wallSeconds: Math.round(wall * 100) / 100,
      };
    },
  };
}
