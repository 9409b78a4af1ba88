import { existsSync } from 'node:fs';

/**
 * Test settings. The suite drops and recreates its database's schema, so it never reads
 * DATABASE_URL/REDIS_URL from the environment: set TEST_DATABASE_URL/TEST_REDIS_URL instead.
 */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  SEED_DEMO: 'false',
  LOG_LEVEL: 'silent',
  SIM_TIME_SCALE: '1000000',
  AUTH_RATE_LIMIT_MAX: '100000',
  RATE_LIMIT_MAX: '100000',
  SWEEP_INTERVAL_MS: '2000',
  QUEUE_LOCK_DURATION_MS: '3000',
  RELAY_POLL_MS: '500',
  // Every test app and process has a metrics server of its own.
  METRICS_PORT: '0',
};

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/itn_test';
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379/15';

/**
 * Set by the global setup when no Redis answers (and TEST_REDIS_URL is not set): the suite then
 * runs on the PostgreSQL queue backend with rate limits in memory, and skips the tests of Redis
 * itself. Its value says why.
 */
export const NO_REDIS = 'TEST_NO_REDIS';

/** With TEST_REQUIRE_ALL=true (CI), a missing Redis or Chromium fails the suite instead of skipping tests. */
export function everythingRequired(): boolean {
  return process.env.TEST_REQUIRE_ALL === 'true';
}

export function applyTestEnvironment(): void {
  for (const [key, value] of Object.entries(TEST_ENV)) {
    if (process.env[key] === undefined) process.env[key] = value;
  }
  process.env.DATABASE_URL = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  if (process.env[NO_REDIS]) {
    delete process.env.REDIS_URL;
    process.env.QUEUE_BACKEND ??= 'postgres';
    process.env.RATE_LIMIT_STORE = 'memory';
  } else {
    process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
  }
  if (!new URL(process.env.DATABASE_URL).pathname.endsWith('_test')) {
    throw new Error('The test database name must end in _test: the suite wipes it');
  }
}

/** Why the tests of Redis itself cannot run here, or undefined when Redis answers. */
export function redisMissing(): string | undefined {
  return process.env[NO_REDIS] || undefined;
}

/** `describe` for tests of Redis itself: reported skipped, with the reason, where no Redis answers. */
export function describeWithRedis(name: string, fn: () => void): void {
  const missing = redisMissing();
  if (missing) describe.skip(`${name} (skipped: ${missing})`, fn);
  else describe(name, fn);
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `describe` for browser tests: reported skipped, with the reason, where Chromium is not installed. */
export function describeWithChromium(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM_PATH) || everythingRequired()) describe(name, fn);
  else describe.skip(`${name} (skipped: no Chromium at ${CHROMIUM_PATH}; set CHROMIUM_PATH)`, fn);
}

export type QueueBackend = 'redis' | 'postgres';

/**
 * Runs the specs of `fn` once per queue backend, named after it, with that backend for every
 * app and process they start (QUEUE_BACKEND). The Redis run is reported skipped, with the
 * reason, where no Redis answers.
 */
export function describeEachQueueBackend(name: string, fn: (backend: QueueBackend) => void): void {
  for (const backend of ['redis', 'postgres'] as const) {
    const title = `${name} [${backend} queue]`;
    if (backend === 'redis') describeWithRedis(title, () => fn(backend));
    else describe(title, () => fn(backend));
  }
}

/** The same for the rate-limit store: Redis (reported skipped where none answers) and this process's memory. */
export function describeEachRateLimitStore(name: string, fn: (store: 'redis' | 'memory') => void): void {
  for (const store of ['redis', 'memory'] as const) {
    const title = `${name} [${store} store]`;
    if (store === 'redis') describeWithRedis(title, () => fn(store));
    else describe(title, () => fn(store));
  }
}
