import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALL_PHASES, RESULTS_DIR } from './config.mjs';

export function machineInfo() {
  let cpuModel = os.cpus()[0]?.model;
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    /* not Linux */
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** The command as it was typed, with the BENCH_* settings that shaped it. */
export function commandLine() {
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const invoked = process.env.npm_lifecycle_event
    ? `npm run ${process.env.npm_lifecycle_event}`
    : `node ${path.relative(process.cwd(), process.argv[1]) || process.argv[1]}`;
  return [...env, invoked].join(' ');
}

const fmt = (/** @type {unknown} */ v, digits = 1) =>
  typeof v === 'number'
    ? Number.isInteger(v)
      ? String(v)
      : v.toFixed(digits)
    : v === null || v === undefined
      ? '–'
      : String(v);

/** @param {{ transactions: number | null, walRecords: number | null, walFlushes: number | null }} w */
const perTradeWork = (w) =>
  `${fmt(w.transactions, 2)} transactions, ${fmt(w.walRecords, 1)} WAL records, ${fmt(w.walFlushes, 2)} WAL flushes ` +
  '(transactions of every client of the database; WAL of the whole server)';

/**
 * The targets of issue 9, judged on this run.
 * @param {any} r
 */
export function judge(r) {
  const p = r.phases;
  const ok = (/** @type {any} */ x) => x && !x.error;
  /** @type {{ name: string, target: string, value: string, met: boolean | null }[]} */
  const targets = [];
  /** Requests that were not answered with a success: such a run's rate is not that of the route. */
  const failed = (/** @type {any} */ load) => (load.non2xx ?? 0) + (load.errors ?? 0) + (load.timeouts ?? 0);
  const tradesRatio = ok(p.trades) && ok(p.pgbench) ? p.trades.requestsPerSecond / p.pgbench.tps : null;
  const tradesFailed = ok(p.trades) ? failed(p.trades) : 0;
  targets.push({
    name: 'Trades vs pgbench ceiling',
    target: '>= 0.5 x',
    value:
      tradesRatio === null
        ? 'not measured'
        : `${tradesRatio.toFixed(3)} x${tradesFailed ? ` (${tradesFailed} requests failed)` : ''}`,
    met: tradesRatio === null ? null : tradesRatio >= 0.5 && tradesFailed === 0,
  });
  const inv = ok(p.inventory) ? p.inventory : null;
  targets.push({
    name: 'Inventory reads vs bare Node (200)',
    target: '>= 0.5 x',
    value: inv ? `${inv.ratio.toFixed(3)} x` : 'not measured',
    met: inv ? inv.ratio >= 0.5 : null,
  });
  targets.push({
    name: 'Inventory reads vs bare Node (304, If-None-Match)',
    target: '>= 0.5 x',
    value: inv ? `${inv.ratio304.toFixed(3)} x` : 'not measured',
    met: inv ? inv.ratio304 >= 0.5 : null,
  });
  const rt = ok(p.realtime) ? p.realtime : null;
  const rtMet =
    rt && rt.latencyMs.p99 !== null
      ? rt.latencyMs.p99 <= 50 &&
        rt.deliveryRatio >= 0.999 &&
        rt.achievedTradeRate >= 0.95 * rt.targetTradeRate &&
        failed(rt.tradeLoad) === 0 &&
        rt.connected >= rt.subscribers
      : null;
  targets.push({
    name: `Real-time p99, ${rt?.targetTradeRate ?? 500} trades/s, ${rt?.subscribers ?? 1000} subscribers`,
    target: '<= 50 ms (all delivered)',
    value: rt
      ? `${fmt(rt.latencyMs.p99)} ms at ${fmt(rt.achievedTradeRate)} trades/s, ${rt.deliveriesReceived}/${rt.deliveriesExpected} delivered`
      : 'not measured',
    met: rtMet,
  });
  const rss = ok(p.trades) ? p.trades.peakRssMb : null;
  targets.push({
    name: 'Peak RSS of the service during trades',
    target: '<= 300 MB',
    value: rss === null ? 'not measured' : `${fmt(rss)} MB`,
    met: rss === null ? null : rss <= 300,
  });
  return { tradesVsPgbench: tradesRatio, targets };
}

/** @param {any} r */
export function markdown(r) {
  const p = r.phases;
  const m = r.machine;
  const lines = [];
  const err = (/** @type {any} */ x) => (x?.error ? `failed: ${x.error.split('\n')[0]}` : null);
  lines.push(`# ITN benchmark, ${r.startedAt}`, '');
  lines.push(
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGb} GB RAM, ${m.os}; Node ${m.node}; ` +
      `PostgreSQL ${r.server?.version ?? '?'} (shared_buffers ${r.server?.shared_buffers ?? '?'}, ` +
      `synchronous_commit ${r.server?.synchronous_commit ?? '?'}); Redis ${r.server?.redisVersion ?? '?'}; ${r.pgbenchVersion ?? 'pgbench ?'}. ` +
      `Load average at start: ${m.loadAverageAtStart.join(' ')}; CPU busy before the run: ${m.busyCoresBeforeRun ?? '?'} cores.`,
    '',
  );
  lines.push(
    `Command: \`${r.command}\` (${r.config.seconds} s per timed phase, ${r.config.connections} connections); ` +
      `the service ran as \`node ${[...(r.config.serviceNodeFlags ?? []), 'dist/apps/api/src/main.js'].join(' ')}\`.`,
    '',
  );
  lines.push('| target | goal | measured | met |', '| --- | --- | --- | --- |');
  for (const t of r.judgement.targets) {
    lines.push(`| ${t.name} | ${t.target} | ${t.value} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
  }
  lines.push('');
  lines.push('| figure | value |', '| --- | --- |');
  const row = (/** @type {string} */ k, /** @type {string} */ v) => lines.push(`| ${k} | ${v} |`);
  if (err(p.trades)) row('Trades (POST /api/trades)', err(p.trades));
  else if (p.trades) {
    const t = p.trades;
    row(
      'Trades, service',
      `${fmt(t.requestsPerSecond)} req/s; latency p50 ${t.latencyMs.p50} / p97.5 ${t.latencyMs.p97_5} / p99 ${t.latencyMs.p99} ms; ` +
        `non-2xx ${t.non2xx}, errors ${t.errors}; CPU: service ${fmt(t.cpuCores.service, 2)}, PostgreSQL ${fmt(t.cpuCores.postgresBackends, 2)}, ` +
        `load generator ${fmt(t.cpuCores.harness, 2)}, other ${fmt(t.cpuCores.otherOnMachine, 2)} cores`,
    );
    row(
      'Trades, CPU per trade',
      `service ${fmt(t.cpuMsPerTrade.service, 2)} ms, PostgreSQL ${fmt(t.cpuMsPerTrade.postgres, 2)} ms`,
    );
    row('Trades, peak service RSS', `${fmt(t.peakRssMb)} MB`);
    if (t.postgresPerTrade) row('Trades, PostgreSQL work per trade', perTradeWork(t.postgresPerTrade));
  }
  if (err(p.pgbench)) row('pgbench ceiling', err(p.pgbench));
  else if (p.pgbench) {
    const g = p.pgbench;
    row(
      'pgbench ceiling (-M prepared)',
      `${fmt(g.tps)} tps at ${g.clients} clients, latency avg ${fmt(g.latencyAverageMs, 2)} ms, failed ${g.failed}; ` +
        `CPU: PostgreSQL ${fmt(g.cpuCores.postgresBackends, 2)}, pgbench ${fmt(g.cpuCores.pgbench, 2)}, other ${fmt(g.cpuCores.otherOnMachine, 2)} cores`,
    );
    row('pgbench, PostgreSQL CPU per transaction', `${fmt(g.postgresCpuMsPerTransaction, 2)} ms`);
    if (g.extended && !g.extended.error) {
      row(
        'pgbench (-M extended: parse every statement, like node-pg)',
        `${fmt(g.extended.tps)} tps, PostgreSQL CPU ${fmt(g.extended.postgresCpuMsPerTransaction, 2)} ms per transaction`,
      );
    }
    if (g.atPoolSize && !g.atPoolSize.error) {
      row(
        `pgbench at the service's pool size (-c ${g.atPoolSize.clients}, -M prepared)`,
        `${fmt(g.atPoolSize.tps)} tps, latency avg ${fmt(g.atPoolSize.latencyAverageMs, 2)} ms`,
      );
    }
    if (r.judgement.tradesVsPgbench !== null)
      row('**Trades / pgbench**', `**${r.judgement.tradesVsPgbench.toFixed(3)}**`);
  }
  if (err(p.inventory)) row('Inventory reads', err(p.inventory));
  else if (p.inventory) {
    const i = p.inventory;
    const one = (/** @type {any} */ x) =>
      `${fmt(x.requestsPerSecond)} req/s (p50 ${x.latencyMs.p50} / p99 ${x.latencyMs.p99} ms; server CPU ${fmt(x.serverCpuCores, 2)} cores, ` +
      `${fmt(x.serverCpuMsPerRequest, 3)} ms per request)`;
    row(`Inventory 200 (${i.items} items, ${i.responseBytes} B), service`, one(i.service));
    row('Inventory 200, bare node:http', one(i.bare));
    row('**Inventory 200 service / bare**', `**${i.ratio.toFixed(3)}**`);
    row('Inventory 304 (If-None-Match), service', one(i.service304));
    row('Inventory 304, bare node:http', one(i.bare304));
    row('**Inventory 304 service / bare**', `**${i.ratio304.toFixed(3)}**`);
  }
  if (err(p.realtime)) row('Real-time', err(p.realtime));
  else if (p.realtime) {
    const t = p.realtime;
    row(
      'Real-time delivery (commit to client)',
      `p50 ${fmt(t.latencyMs.p50)} / p95 ${fmt(t.latencyMs.p95)} / p99 ${fmt(t.latencyMs.p99)} / max ${fmt(t.latencyMs.max)} ms; ` +
        `${t.deliveriesReceived} of ${t.deliveriesExpected} trade.created deliveries received`,
    );
    row(
      'Real-time load',
      `${t.connected}/${t.subscribers} sockets subscribed; ${fmt(t.achievedTradeRate)} trades/s achieved (target ${t.targetTradeRate}), ` +
        `trade latency p50 ${t.tradeLoad.latencyMs.p50} / p99 ${t.tradeLoad.latencyMs.p99} ms (open loop: beyond what the service ` +
        `answers, requests wait for one of the 64 connections), non-2xx ${t.tradeLoad.non2xx}; ` +
        `subscriber event-loop delay p99 ${fmt(t.clientEventLoopDelayMs.p99)} ms; ` +
        `service RSS peak ${fmt(t.peakRssMb.service)} MB; CPU: service ${fmt(t.cpuCores.service, 2)}, subscribers ${fmt(t.cpuCores.clients, 2)}, ` +
        `PostgreSQL ${fmt(t.cpuCores.postgresBackends, 2)}, other ${fmt(t.cpuCores.otherOnMachine, 2)} cores`,
    );
    if (t.postgresPerTrade) row('Real-time, PostgreSQL work per trade', perTradeWork(t.postgresPerTrade));
    const b = t.belowSaturation;
    if (b) {
      row(
        `Real-time delivery at ${b.targetTradeRate} trades/s (half the trade phase's rate)`,
        `p50 ${fmt(b.latencyMs.p50)} / p95 ${fmt(b.latencyMs.p95)} / p99 ${fmt(b.latencyMs.p99)} / max ${fmt(b.latencyMs.max)} ms; ` +
          `${b.deliveriesReceived} of ${b.deliveriesExpected} received; ${fmt(b.achievedTradeRate)} trades/s achieved, ` +
          `trade latency p50 ${b.tradeLoad.latencyMs.p50} / p99 ${b.tradeLoad.latencyMs.p99} ms; CPU: service ${fmt(b.cpuCores.service, 2)} cores`,
      );
    }
    const o = t.otherDatabasesTransactions;
    if (o) {
      row(
        'Transactions open in other databases of the server',
        `in ${o.sampledWithOneOpenPercent}% of ${o.samples} samples; age of the oldest p50 ${o.oldestAgeMs.p50} / p95 ${o.oldestAgeMs.p95} / max ${o.oldestAgeMs.max} ms`,
      );
    }
  }
  if (err(p.shipments)) row('Shipments', err(p.shipments));
  else if (p.shipments) {
    const a = p.shipments.createdAndDelivered;
    const b = p.shipments.workerDrain;
    row(
      'Shipment lifecycles, created and delivered (1 worker)',
      `**${fmt(a.lifecyclesPerSecond)} lifecycles/s**: ${a.delivered} of ${a.created} delivered ${fmt(a.firstCreatedToLastDeliveredSeconds, 2)} s ` +
        `after the first was created (creation ${fmt(a.creation.requestsPerSecond)} req/s); CPU: worker ${fmt(a.cpuCores.worker, 2)}, ` +
        `API ${fmt(a.cpuCores.api, 2)}, PostgreSQL ${fmt(a.cpuCores.postgresBackends, 2)} cores; worker RSS peak ${fmt(a.peakRssMb.worker)} MB`,
    );
    row(
      'Shipment lifecycles, worker draining a backlog',
      `${fmt(b.lifecyclesPerSecond)} lifecycles/s: ${b.delivered} of ${b.queued} delivered ${fmt(b.firstDepartedToLastDeliveredSeconds, 2)} s ` +
        `after the first departure (${fmt(b.workerStartToLastDeliveredSeconds, 2)} s after the worker was started); CPU: worker ` +
        `${fmt(b.cpuCores.worker, 2)}, PostgreSQL ${fmt(b.cpuCores.postgresBackends, 2)} cores`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** @param {any} r */
export function writeResults(r) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(r, null, 2) + '\n';
  const md = markdown(r);
  // A run of some phases only (BENCH_PHASES) is kept under its own name, never as the latest.
  const prefix = r.config.phases.length === ALL_PHASES.length ? 'bench' : 'partial';
  const files = [path.join(RESULTS_DIR, `${prefix}-${stamp}.json`), path.join(RESULTS_DIR, `${prefix}-${stamp}.md`)];
  if (prefix === 'bench') files.push(path.join(RESULTS_DIR, 'latest.json'), path.join(RESULTS_DIR, 'latest.md'));
  for (const file of files) writeFileSync(file, file.endsWith('.json') ? json : md);
  return { files, md };
}
