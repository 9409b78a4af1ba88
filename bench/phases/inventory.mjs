import path from 'node:path';
import { BENCH_DIR, config } from '../lib/config.mjs';
import { memberStation, stationId } from '../lib/ids.mjs';
import { cannon, summarise } from '../lib/load.mjs';
import { forkTracked, startSampler, stopTracked } from '../lib/procs.mjs';

/** Headers Node sets itself (or that belong to one connection), left out of the replay. */
const HOP = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Alternating rounds per comparison (BENCH_SECONDS is split between them). */
const ROUNDS = 3;

/**
 * One figure from several rounds: requests and time summed, CPU weighted by time, latency
 * p50 the median round's and the rest the worst round's.
 * @param {any[]} rounds
 */
function combine(rounds) {
  const sum = (/** @type {(r: any) => number} */ f) => rounds.reduce((a, r) => a + f(r), 0);
  const requests = sum((r) => r.requests);
  const durationSeconds = Math.round(sum((r) => r.durationSeconds) * 100) / 100;
  const requestsPerSecond = Math.round((requests / durationSeconds) * 10) / 10;
  /** @type {Record<string, number>} */
  const cpuCores = {};
  for (const key of Object.keys(rounds[0].cpuCores)) {
    cpuCores[key] = Math.round((sum((r) => r.cpuCores[key] * r.durationSeconds) / durationSeconds) * 100) / 100;
  }
  /** @type {Record<string, number>} */
  const statusCodes = {};
  for (const r of rounds)
    for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const p50s = rounds.map((r) => r.latencyMs.p50).sort((a, b) => a - b);
  const worst = (/** @type {string} */ k) => Math.max(...rounds.map((r) => r.latencyMs[k]));
  return {
    requestsPerSecond,
    requests,
    durationSeconds,
    latencyMs: { p50: p50s[Math.floor(p50s.length / 2)], p97_5: worst('p97_5'), p99: worst('p99'), max: worst('max') },
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
    serverCpuCores: cpuCores.server,
    serverCpuMsPerRequest: Math.round(((cpuCores.server * 1000) / requestsPerSecond) * 1000) / 1000,
    cpuCores,
    roundsRequestsPerSecond: rounds.map((r) => r.requestsPerSecond),
  };
}

/**
 * Throws unless every answer of `figure` had `status`: an answer of another kind (a 429 of an
 * exhausted rate limit, say) costs the server something else, and the figure would not be the
 * route's.
 * @param {string} name @param {any} figure @param {number} status
 */
function expectOnly(name, figure, status) {
  const other = Object.entries(figure.statusCodes).filter(([code, n]) => Number(code) !== status && n > 0);
  if (other.length > 0 || figure.errors > 0 || figure.timeouts > 0) {
    throw new Error(
      `${name}: answers other than ${status}: ${JSON.stringify(Object.fromEntries(other))}, ` +
        `${figure.errors} errors, ${figure.timeouts} timeouts`,
    );
  }
}

/** @param {Response} res */
function replayHeaders(res) {
  /** @type {Record<string, string>} */
  const h = {};
  res.headers.forEach((v, k) => {
    if (!HOP.has(k)) h[k] = v;
  });
  return h;
}

/**
 * GET /api/inventory/{id} at `connections` for `seconds`, without and with If-None-Match,
 * each beside a bare node:http server that answers the same bytes and headers.
 * @param {{ service: { baseUrl: string, child: import('node:child_process').ChildProcess }, tokens: string[], database: string }} ctx
 */
export async function inventoryPhase(ctx) {
  const token = ctx.tokens[0];
  const station = stationId(memberStation(1, 0));
  const pathName = `/api/inventory/${station}`;
  const auth = { authorization: `Bearer ${token}` };

  const ok = await fetch(ctx.service.baseUrl + pathName, { headers: auth });
  const okBody = Buffer.from(await ok.arrayBuffer());
  if (ok.status !== 200) throw new Error(`GET ${pathName}: HTTP ${ok.status} ${okBody.toString().slice(0, 200)}`);
  const etag = ok.headers.get('etag');
  if (!etag) throw new Error(`GET ${pathName} answered no ETag`);
  const nm = await fetch(ctx.service.baseUrl + pathName, { headers: { ...auth, 'if-none-match': etag } });
  await nm.arrayBuffer();
  if (nm.status !== 304) throw new Error(`GET ${pathName} with If-None-Match: HTTP ${nm.status}, expected 304`);

  const bare = forkTracked('bare-server', path.join(BENCH_DIR, 'bare-server.mjs'));
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bare server did not start')), 10_000);
      bare.child.once('message', (/** @type {any} */ m) => {
        clearTimeout(timer);
        resolve(m.port);
      });
      bare.child.send({
        etag,
        ok: { status: 200, headers: replayHeaders(ok), body: okBody.toString('base64') },
        notModified: { status: 304, headers: replayHeaders(nm) },
      });
    });
    const bareUrl = `http://127.0.0.1:${port}`;
    const warmup = Math.min(3, Math.max(1, Math.round(config.seconds / 5)));

    /**
     * One timed load against one server.
     * @param {string} url @param {Record<string,string>} headers @param {number} pid @param {number} seconds
     */
    const measure = async (url, headers, pid, seconds) => {
      const sampler = startSampler({ pids: { server: pid }, database: ctx.database });
      const r = summarise(
        await cannon({ url: url + pathName, connections: config.connections, headers, duration: seconds }, seconds),
      );
      return { ...r, cpuCores: sampler.stop().cpuCores };
    };
    /**
     * The service and the bare server in alternating rounds (service, bare, service, bare, ...),
     * so that a change in what else the machine is doing falls on both alike; each side's figure
     * sums its rounds.
     * @param {Record<string,string>} headers
     */
    const sideBySide = async (headers) => {
      const servicePid = /** @type {number} */ (ctx.service.child.pid);
      const barePid = /** @type {number} */ (bare.child.pid);
      for (const url of [ctx.service.baseUrl, bareUrl]) {
        await cannon({ url: url + pathName, connections: config.connections, headers, duration: warmup }, warmup);
      }
      const roundSeconds = Math.max(1, Math.round(config.seconds / ROUNDS));
      const service = [];
      const bareRounds = [];
      for (let i = 0; i < ROUNDS; i++) {
        service.push(await measure(ctx.service.baseUrl, headers, servicePid, roundSeconds));
        bareRounds.push(await measure(bareUrl, headers, barePid, roundSeconds));
      }
      return { service: combine(service), bare: combine(bareRounds) };
    };
    const inm = { ...auth, 'if-none-match': etag };
    const ok200 = await sideBySide(auth);
    const ok304 = await sideBySide(inm);
    const [service200, bare200, service304, bare304] = [ok200.service, ok200.bare, ok304.service, ok304.bare];
    expectOnly('inventory 200, service', service200, 200);
    expectOnly('inventory 200, bare server', bare200, 200);
    expectOnly('inventory 304, service', service304, 304);
    expectOnly('inventory 304, bare server', bare304, 304);

    const after = await fetch(ctx.service.baseUrl + pathName, { headers: auth });
    await after.arrayBuffer();
    const ratio = (/** @type {number} */ a, /** @type {number} */ b) => Math.round((a / b) * 1000) / 1000;
    return {
      path: pathName,
      responseBytes: okBody.length,
      items: JSON.parse(okBody.toString()).items?.length,
      etagStable: after.headers.get('etag') === etag,
      service: service200,
      bare: bare200,
      service304,
      bare304,
      ratio: ratio(service200.requestsPerSecond, bare200.requestsPerSecond),
      ratio304: ratio(service304.requestsPerSecond, bare304.requestsPerSecond),
    };
  } finally {
    await stopTracked(bare);
  }
}
