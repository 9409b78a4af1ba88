import {
  ensureDatabaseExists,
  QUEUE_SCHEMA,
  redactUrl,
  runMigrationsLocked,
  tcpAnswers,
  typeOrmOptions,
  validateEnvironment,
} from '../libs/core/src';
import { startEmbeddedPostgres } from '../libs/core/src/runtime/embedded-postgres';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import {
  applyTestEnvironment,
  DEFAULT_TEST_DATABASE_URL,
  DEFAULT_TEST_REDIS_URL,
  everythingRequired,
  NO_REDIS,
} from './helpers/test-env';

/** The embedded PostgreSQL of this run, if it needed one; stopped by the global teardown. */
export const EMBEDDED_SERVER = Symbol.for('itn.test.embeddedPostgres');

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Decides what the run uses, as the service does at start-up: TEST_DATABASE_URL and
 * TEST_REDIS_URL, when set, must answer. Unset, PostgreSQL and Redis on their default
 * addresses are used if they answer; else the run starts an embedded PostgreSQL of its own
 * (data in .data/postgres-test) and runs without Redis.
 */
async function decideServices(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    if (!(await tcpAnswers(process.env.TEST_DATABASE_URL, 5432))) {
      throw new Error(
        `TEST_DATABASE_URL is set to ${redactUrl(process.env.TEST_DATABASE_URL)}, but nothing answers there`,
      );
    }
  } else if (!(await tcpAnswers(DEFAULT_TEST_DATABASE_URL, 5432))) {
    const server = await startEmbeddedPostgres({
      dataDir: join(__dirname, '..', '.data', 'postgres-test'),
      database: 'itn_test',
    });
    (globalThis as Record<symbol, unknown>)[EMBEDDED_SERVER] = server;
    process.env.TEST_DATABASE_URL = server.url;
    console.log(`\nNo PostgreSQL on 127.0.0.1:5432: the suite runs on an embedded one (port ${server.port})`);
  }
  const redisUrl = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
  if (!(await redisAnswers(redisUrl))) {
    if (process.env.TEST_REDIS_URL || everythingRequired()) {
      throw new Error(`Redis does not answer on ${redactUrl(redisUrl)}`);
    }
    process.env[NO_REDIS] = `no Redis answers on ${redactUrl(redisUrl)}`;
    console.log(
      `No Redis on ${redactUrl(redisUrl)}: the queue runs on PostgreSQL; the tests of Redis itself are skipped`,
    );
  }
}

/** One fresh schema and an empty queue per test run. */
export default async function globalSetup(): Promise<void> {
  await decideServices();
  applyTestEnvironment();
  const env = validateEnvironment(process.env);
  await ensureDatabaseExists(env.DATABASE_URL);
  const dataSource = new DataSource(typeOrmOptions(env));
  await dataSource.initialize();
  try {
    await dataSource.query('DROP SCHEMA public CASCADE');
    await dataSource.query('CREATE SCHEMA public');
    // Queues of an earlier run would point at shipments that no longer exist.
    await dataSource.query(`DROP SCHEMA IF EXISTS "${QUEUE_SCHEMA}" CASCADE`);
    await runMigrationsLocked(dataSource);
  } finally {
    await dataSource.destroy();
  }
  if (process.env.REDIS_URL) {
    const redis = new Redis(process.env.REDIS_URL);
    await redis.flushdb();
    await redis.quit();
  }
}
