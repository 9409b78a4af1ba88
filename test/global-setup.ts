import { ensureDatabaseExists, runMigrationsLocked, typeOrmOptions, validateEnvironment } from '../libs/core/src';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { applyTestEnvironment } from './helpers/test-env';

/** One fresh schema and an empty Redis database per test run. */
export default async function globalSetup(): Promise<void> {
  applyTestEnvironment();
  const env = validateEnvironment(process.env);
  await ensureDatabaseExists(env.DATABASE_URL);
  const dataSource = new DataSource(typeOrmOptions(env));
  await dataSource.initialize();
  try {
    await dataSource.query('DROP SCHEMA public CASCADE');
    await dataSource.query('CREATE SCHEMA public');
    await runMigrationsLocked(dataSource);
  } finally {
    await dataSource.destroy();
  }
  // Queues of an earlier run would point at shipments that no longer exist.
  const redis = new Redis(env.REDIS_URL);
  await redis.flushdb();
  await redis.quit();
}
