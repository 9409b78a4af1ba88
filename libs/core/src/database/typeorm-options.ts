import type { DataSourceOptions } from 'typeorm';
import type { Environment } from '../config/environment';
import { migrations } from './migrations';

/**
 * The one TypeORM options object, shared by the Nest module and the CLI data source.
 * Schema changes happen only through migrations.
 */
export function typeOrmOptions(
  env: Pick<Environment, 'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATABASE_STATEMENT_TIMEOUT_MS'>,
): DataSourceOptions {
  return {
    type: 'postgres',
    url: env.DATABASE_URL,
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    // Failed queries surface as errors where they matter; expected ones (unique violations) are not noise.
    logging: false,
    extra: {
      max: env.DATABASE_POOL_SIZE,
      statement_timeout: env.DATABASE_STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: env.DATABASE_STATEMENT_TIMEOUT_MS * 2,
      application_name: 'itn',
    },
  };
}
