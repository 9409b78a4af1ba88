import type { Pool, PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';

/**
 * Runs a statement as a named prepared statement, so PostgreSQL parses and plans it once per
 * connection instead of on every call: on the transaction's own connection, or, for a manager
 * outside a transaction, on any connection of the pool (the statement is then its own
 * transaction). For the SQL of the busiest paths (trade creation); answers the rows (also for
 * UPDATE ... RETURNING). Errors are wrapped like TypeORM's, so callers inspect them the same way.
 */
export async function preparedQuery<T>(tx: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const runner = tx.queryRunner as unknown as { connect(): Promise<PoolClient> } | undefined;
  const client: Pool | PoolClient = runner
    ? await runner.connect()
    : (tx.connection.driver as unknown as { master: Pool }).master;
  try {
    const result = await client.query<T & object>({ name, text, values });
    return result.rows;
  } catch (e) {
    throw new QueryFailedError(text, values, e as Error);
  }
}
