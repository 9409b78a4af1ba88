/**
 * Child process of bench/run.mjs: holds the Socket.IO subscribers of the real-time phase, so
 * their work does not share an event loop with the load generator. Driven over IPC:
 *   {cmd: 'connect', url, clients: [{token, stationId}], concurrency} -> {type: 'connected', ...}
 *   {cmd: 'start'}  counts trade.created events that occurred from now on
 *   {cmd: 'stop'}   -> {type: 'result', received, latencyMs: {...}, eventLoopDelayMs: {...}}
 *   {cmd: 'exit'}
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io } from 'socket.io-client';

/** @type {import('socket.io-client').Socket[]} */
const sockets = [];
/** Connected and subscribed sockets per station. @type {Record<string, number>} */
const perStation = {};
/** @type {number[]} */
let latencies = [];
/** When each of `latencies` occurred, in ms after `start`. @type {number[]} */
let offsets = [];
let counting = false;
let since = Infinity;
let otherEvents = 0;
const RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
const delayMs = (/** @type {number} */ ns) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);

const now = () => performance.timeOrigin + performance.now();

/** @param {number[]} sorted @param {number} p */
function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10;
}

/** @param {string} url @param {{token: string, stationId: string}} c */
function connectOne(url, c) {
  return new Promise((resolve) => {
    const socket = io(url, {
      transports: ['websocket'],
      auth: { token: c.token },
      forceNew: true,
      reconnection: false,
      timeout: 20_000,
    });
    const timer = setTimeout(() => finish(new Error('connect/subscribe timed out')), 30_000);
    const finish = (/** @type {Error | null} */ err) => {
      clearTimeout(timer);
      if (err) socket.close();
      resolve(err ? err.message : null);
    };
    socket.on('connect_error', (err) => finish(new Error(`connect_error: ${err.message}`)));
    socket.on('connect', () => {
      socket.emit('subscribe', { stationId: c.stationId }, (ack) => {
        if (ack && ack.ok) {
          sockets.push(socket);
          perStation[c.stationId] = (perStation[c.stationId] ?? 0) + 1;
          finish(null);
        } else finish(new Error(`subscribe refused: ${JSON.stringify(ack)}`));
      });
    });
    socket.on('trade.created', (e) => {
      const at = now();
      const occurred = Date.parse(e.occurredAt);
      if (!counting || occurred < since) return;
      latencies.push(at - occurred);
      offsets.push(occurred - since);
    });
    socket.onAny((type) => {
      if (counting && type !== 'trade.created') otherEvents++;
    });
  });
}

/** @param {string} url @param {{token: string, stationId: string}[]} clients @param {number} concurrency */
async function connectAll(url, clients, concurrency) {
  const started = Date.now();
  /** @type {Record<string, number>} */
  const errors = {};
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < clients.length) {
      const c = clients[next++];
      const err = await connectOne(url, c);
      if (err) {
        failed++;
        errors[err] = (errors[err] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { type: 'connected', connected: sockets.length, failed, errors, perStation, ms: Date.now() - started };
}

/** Latency per second of the run (by when the trade occurred), to tell steady from bursty. */
function bySecond() {
  /** @type {number[][]} */
  const buckets = [];
  latencies.forEach((l, i) => {
    const s = Math.max(0, Math.floor(offsets[i] / 1000));
    (buckets[s] ??= []).push(l);
  });
  return Array.from(buckets, (b, second) => {
    const sorted = (b ?? []).sort((x, y) => x - y);
    return { second, count: sorted.length, p50: pct(sorted, 50), p99: pct(sorted, 99), max: pct(sorted, 100) };
  });
}

process.on('message', async (/** @type {any} */ msg) => {
  switch (msg.cmd) {
    case 'connect':
      process.send?.(await connectAll(msg.url, msg.clients, msg.concurrency ?? 50));
      break;
    case 'start':
      latencies = [];
      offsets = [];
      otherEvents = 0;
      since = msg.since ?? Date.now();
      counting = true;
      loop.reset();
      loop.enable();
      process.send?.({ type: 'started' });
      break;
    case 'stop': {
      counting = false;
      loop.disable();
      const sorted = Float64Array.from(latencies).sort();
      const arr = Array.from(sorted);
      process.send?.({
        type: 'result',
        received: arr.length,
        otherEventsReceived: otherEvents,
        stillConnected: sockets.filter((s) => s.connected).length,
        latencyMs: {
          p50: pct(arr, 50),
          p95: pct(arr, 95),
          p99: pct(arr, 99),
          max: arr.length ? Math.round(arr[arr.length - 1] * 10) / 10 : null,
          min: arr.length ? Math.round(arr[0] * 10) / 10 : null,
        },
        bySecond: bySecond(),
        // The histogram holds whole timer intervals; the delay is what exceeds the resolution.
        eventLoopDelayMs: {
          p50: delayMs(loop.percentile(50)),
          p99: delayMs(loop.percentile(99)),
          max: delayMs(loop.max),
        },
      });
      break;
    }
    case 'exit':
      for (const s of sockets) s.close();
      process.exit(0);
  }
});

process.on('disconnect', () => process.exit(0));
