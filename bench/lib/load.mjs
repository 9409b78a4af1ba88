import autocannon from 'autocannon';
import { activeLoads } from './procs.mjs';
import { dataset } from './config.mjs';
import { traderEmail } from './ids.mjs';

/**
 * Runs autocannon and resolves with its result; bounded by its own duration or amount plus a
 * margin, after which it is stopped.
 * @param {import('autocannon').Options} opts
 * @param {number} boundSeconds
 */
export function cannon(opts, boundSeconds) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ timeout: 30, ...opts }, (err, result) => {
      clearTimeout(guard);
      activeLoads.delete(handle);
      if (err) reject(err);
      else resolve(result);
    });
    const handle = { stop: () => instance.stop() };
    activeLoads.add(handle);
    const guard = setTimeout(() => instance.stop(), (boundSeconds + 30) * 1000);
  });
}

/** The figures this report keeps of an autocannon result. @param {any} r */
export function summarise(r) {
  const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  return {
    requestsPerSecond: Math.round((r.requests.total / r.duration) * 10) / 10,
    requests: r.requests.total,
    durationSeconds: r.duration,
    latencyMs: { p50: r.latency.p50, p97_5: r.latency.p97_5, p99: r.latency.p99, max: r.latency.max },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: codes,
  };
}

/**
 * Logs in traders 1..count through the API (login is rate limited by AUTH_RATE_LIMIT_MAX,
 * which the harness sets high) and answers their access tokens, index i for trader i + 1.
 * @param {string} baseUrl @param {number} count
 */
export async function loginTraders(baseUrl, count) {
  /** @type {string[]} */
  const tokens = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      tokens[i] = await login(baseUrl, traderEmail(i + 1), dataset.traderPassword);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return tokens;
}

/** @param {string} baseUrl @param {string} email @param {string} password */
export async function login(baseUrl, email, password) {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`login ${email}: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return /** @type {string} */ (body.accessToken);
}
