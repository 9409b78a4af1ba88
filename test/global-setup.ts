import { ensureDatabaseExists, runMigrationsLocked, typeOrmOptions, validateEnvironment } from '../libs/core/src';
import { DataSource } from 'typeorm';
import { applyTestEnvironment } from './helpers/test-env';

/** One fresh schema per test run: drop everything, then apply every migration. */
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
}
