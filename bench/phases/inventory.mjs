import path from 'node:path';
import { BENCH_DIR, config } from '../lib/config.mjs';
import { memberStation, stationId } from '../lib/ids.mjs';
import { cannon, summarise } from '../lib/load.mjs';
import { forkTracked, startSampler, stopTracked } from '../lib/procs.mjs';

/** Headers Node sets itself (or that belong to one connection), left out of the replay. */
const HOP = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

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

    /** @param {string} url @param {Record<string,string>} headers @param {number} pid */
    const run = async (url, headers, pid) => {
      const opts = { url: url + pathName, connections: config.connections, headers };
      await cannon({ ...opts, duration: warmup }, warmup);
      const sampler = startSampler({ pids: { server: pid }, database: ctx.database });
      const r = summarise(await cannon({ ...opts, duration: config.seconds }, config.seconds));
      const usage = sampler.stop();
      return {
        ...r,
        serverCpuCores: usage.cpuCores.server,
        serverCpuMsPerRequest: Math.round(((usage.cpuCores.server * 1000) / r.requestsPerSecond) * 1000) / 1000,
        cpuCores: usage.cpuCores,
      };
    };
    const servicePid = /** @type {number} */ (ctx.service.child.pid);
    const barePid = /** @type {number} */ (bare.child.pid);
    const inm = { ...auth, 'if-none-match': etag };
    const service200 = await run(ctx.service.baseUrl, auth, servicePid);
    const bare200 = await run(bareUrl, auth, barePid);
    const service304 = await run(ctx.service.baseUrl, inm, servicePid);
    const bare304 = await run(bareUrl, inm, barePid);

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
