import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';

/**
 * Runs a statement as a named prepared statement on the transaction's own connection, so
 * PostgreSQL parses and plans it once per connection instead of on every call. For the SQL
 * of the busiest paths (trade creation); answers the rows (also for UPDATE ... RETURNING).
 * Errors are wrapped like TypeORM's, so callers inspect them the same way.
 */
export async function preparedQuery<T>(tx: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const runner = tx.queryRunner as unknown as { connect(): Promise<PoolClient> } | undefined;
  if (!runner) return tx.query<T[]>(text, values);
  const client = await runner.connect();
  try {
    const result = await client.query<T & object>({ name, text, values });
    return result.rows;
  } catch (e) {
    throw new QueryFailedError(text, values, e as Error);
  }
}
