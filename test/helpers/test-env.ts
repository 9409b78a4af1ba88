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

export function applyTestEnvironment(): void {
  for (const [key, value] of Object.entries(TEST_ENV)) {
    if (process.env[key] === undefined) process.env[key] = value;
  }
  process.env.DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/itn_test';
  process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
  if (!new URL(process.env.DATABASE_URL).pathname.endsWith('_test')) {
    throw new Error('The test database name must end in _test: the suite wipes it');
  }
}
