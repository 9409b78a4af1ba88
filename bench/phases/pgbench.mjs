import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { config } from '../lib/config.mjs';
import { freeConnections } from '../lib/db.mjs';
import { tradeScripts } from '../lib/pgbench-script.mjs';
import { spawnTracked, startSampler, stopTracked } from '../lib/procs.mjs';

export function pgbenchVersion() {
  return new Promise((resolve) => {
    const p = spawn(config.pgbenchPath, ['--version']);
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.on('error', () => resolve(undefined));
    p.on('close', () => resolve(out.trim() || undefined));
  });
}

/** libpq connection arguments for the bench database. */
function connectionArgs() {
  const u = new URL(config.databaseUrl);
  const args = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres')];
  const env = u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {};
  return { args, env, dbname: decodeURIComponent(u.pathname.slice(1)) };
}

/**
 * One pgbench run; answers its parsed figures and the exact command line.
 * @param {{ dir: string, clients: number, seconds: number, mode: string, perStatement?: boolean, database: string }} o
 */
async function runPgbench(o) {
  const { args, env, dbname } = connectionArgs();
  const scripts = ['trade-1-line.sql', 'trade-2-line.sql', 'trade-3-line.sql'].map((n) => path.join(o.dir, n));
  const argv = [
    '-n',
    '-c',
    String(o.clients),
    '-j',
    '2',
    '-T',
    String(o.seconds),
    '-M',
    o.mode,
    ...(o.perStatement ? ['-r'] : []),
    ...scripts.flatMap((s) => ['-f', `${s}@1`]),
    ...args,
    dbname,
  ];
  const t = spawnTracked(`pgbench ${o.mode}`, config.pgbenchPath, argv, { env });
  let out = '';
  t.child.stdout?.on('data', (c) => (out += c));
  t.child.stderr?.on('data', (c) => (out += c));
  const sampler = startSampler({ pids: { pgbench: /** @type {number} */ (t.child.pid) }, database: o.database });
  const timer = setTimeout(() => void stopTracked(t), (o.seconds + 60) * 1000);
  const code = await t.exited;
  clearTimeout(timer);
  const usage = sampler.stop();
  const num = (/** @type {RegExp} */ re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const tps = num(/^tps = ([\d.]+) \(without initial connection time\)/m);
  if (code !== 0 || tps === undefined) {
    throw new Error(`pgbench exited with ${code}: ${out.split('\n').slice(-15).join('\n')}`);
  }
  return {
    command: `pgbench ${argv.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`,
    clients: o.clients,
    threads: 2,
    mode: o.mode,
    tps: Math.round(tps * 10) / 10,
    transactions: num(/^number of transactions actually processed: (\d+)/m),
    failed: num(/^number of failed transactions: (\d+)/m) ?? 0,
    latencyAverageMs: num(/^latency average = ([\d.]+) ms/m),
    cpuCores: usage.cpuCores,
    postgresCpuMsPerTransaction: Math.round(((usage.cpuCores.postgresBackends * 1000) / tps) * 100) / 100,
    output: out,
  };
}

/**
 * Per-statement average latencies (ms) of the 2-line script, from `pgbench -r`.
 * @param {string} out
 */
function perStatement(out) {
  const section = out.split(/^SQL script \d+: /m).find((s) => s.split('\n')[0].includes('trade-2-line.sql'));
  if (!section) return [];
  const rows = [];
  for (const line of section.split('\n')) {
    const m = /^\s+([\d.]+)\s+(\d+\s+)?(\S.*)$/.exec(line);
    if (!m || line.includes('\\set')) continue;
    const statement = m[3].trim();
    if (statement.startsWith('-') || /^(latency|number|weight)/.test(statement)) continue;
    rows.push({ ms: Number(m[1]), statement: statement.slice(0, 70) });
  }
  return rows;
}

/**
 * The ceiling: the SQL of one trade, issued by pgbench at the same concurrency, with the
 * service stopped so PostgreSQL has the machine (less whatever else runs on it).
 * @param {{ database: string, simTimeScale: number, loadingSeconds: number, poolSize?: number }} ctx
 */
export async function pgbenchPhase(ctx) {
  const dir = mkdtempSync(path.join(tmpdir(), 'itn-bench-pgbench-'));
  try {
    for (const s of tradeScripts({ simTimeScale: ctx.simTimeScale, loadingSeconds: ctx.loadingSeconds })) {
      writeFileSync(path.join(dir, s.name), s.text);
    }
    const free = await freeConnections();
    const clients = Math.max(1, Math.min(config.connections, free - 4));
    const note =
      clients < config.connections
        ? `only ${free} connections were free on the server; ran ${clients} clients instead of ${config.connections}`
        : undefined;
    const prepared = await runPgbench({
      dir,
      clients,
      seconds: config.seconds,
      mode: 'prepared',
      database: ctx.database,
    });
    /** @type {Record<string, unknown>} */
    const result = { ...strip(prepared), note };
    try {
      const extended = await runPgbench({
        dir,
        clients,
        seconds: config.seconds,
        mode: 'extended',
        database: ctx.database,
      });
      result.extended = strip(extended);
    } catch (e) {
      result.extended = { error: /** @type {Error} */ (e).message };
    }
    // At the service's pool size: the concurrency the service itself gives PostgreSQL.
    if (ctx.poolSize && ctx.poolSize !== clients) {
      try {
        const atPool = await runPgbench({
          dir,
          clients: Math.min(ctx.poolSize, clients),
          seconds: config.seconds,
          mode: 'prepared',
          database: ctx.database,
        });
        result.atPoolSize = strip(atPool);
      } catch (e) {
        result.atPoolSize = { error: /** @type {Error} */ (e).message };
      }
    }
    try {
      const diag = await runPgbench({
        dir,
        clients,
        seconds: Math.min(5, config.seconds),
        mode: 'prepared',
        perStatement: true,
        database: ctx.database,
      });
      result.perStatementMs = perStatement(diag.output);
    } catch (e) {
      result.perStatementMs = { error: /** @type {Error} */ (e).message };
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {{ output: string } & Record<string, unknown>} r */
function strip({ output: _output, ...rest }) {
  return rest;
}
