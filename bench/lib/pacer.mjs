import http from 'node:http';
import { activeLoads } from './procs.mjs';

/** @param {number[]} sorted @param {number} p */
function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10;
}

/**
 * An open-loop load generator: sends `rate` requests per second, evenly spread (a few every
 * 10 ms tick), whatever the answers take, over at most `maxSockets` keep-alive connections.
 * autocannon's overallRate paces each connection on its own timer, so its connections fire
 * together in bursts; a steady stream is what a fixed trade rate means here.
 * @param {{ url: string, rate: number, seconds: number, maxSockets: number,
 *           request: () => { method: string, path: string, headers: Record<string, string>, body?: string } }} o
 */
export async function paced(o) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets });
  const target = new URL(o.url);
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<string, number>} */
  const statusCodes = {};
  let sent = 0;
  let errors = 0;
  let okInWindow = 0;
  let windowOpen = true;
  let inFlight = 0;
  let stopped = false;
  /** @type {() => void} */
  let drained = () => {};

  const send = () => {
    const spec = o.request();
    const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
    const t0 = performance.now();
    sent++;
    inFlight++;
    const done = () => {
      inFlight--;
      if (stopped && inFlight === 0) drained();
    };
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: spec.method,
        path: spec.path,
        agent,
        timeout: 30_000,
        headers: { ...spec.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          statusCodes[res.statusCode ?? 0] = (statusCodes[res.statusCode ?? 0] ?? 0) + 1;
          if (windowOpen && String(res.statusCode).startsWith('2')) okInWindow++;
          done();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      errors++;
      done();
    });
    req.end(body);
  };

  const handle = {
    stop: () => {
      stopped = true;
    },
  };
  activeLoads.add(handle);
  const started = performance.now();
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= o.seconds || stopped) {
        clearInterval(tick);
        resolve(undefined);
        return;
      }
      const due = Math.floor(elapsed * o.rate);
      while (sent < due) send();
    }, 10);
  });
  const sendSeconds = (performance.now() - started) / 1000;
  windowOpen = false;
  stopped = true;
  if (inFlight > 0) {
    await Promise.race([new Promise((r) => (drained = () => r(undefined))), new Promise((r) => setTimeout(r, 30_000))]);
  }
  agent.destroy();
  activeLoads.delete(handle);
  const sorted = Float64Array.from(latencies).sort();
  const arr = Array.from(sorted);
  const ok = Object.entries(statusCodes)
    .filter(([code]) => code.startsWith('2'))
    .reduce((n, [, c]) => n + c, 0);
  return {
    targetRate: o.rate,
    sent,
    completed: latencies.length,
    // Answered with 2xx within the sending window, per second of it.
    requestsPerSecond: Math.round((okInWindow / sendSeconds) * 10) / 10,
    durationSeconds: Math.round(sendSeconds * 100) / 100,
    latencyMs: {
      p50: pct(arr, 50),
      p97_5: pct(arr, 97.5),
      p99: pct(arr, 99),
      max: arr.length ? Math.round(arr[arr.length - 1]) : null,
    },
    non2xx: latencies.length - ok,
    errors,
    statusCodes,
  };
}
