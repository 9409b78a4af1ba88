import { Client, type Pool, type PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';

/** What a prepared statement can run on: a manager (see preparedQuery) or a connection of one's own. */
export type PreparedTarget = EntityManager | Client;

/**
 * Runs a statement as a named prepared statement, so PostgreSQL parses and plans it once per
 * connection instead of on every call: on the transaction's own connection, or, for a manager
 * outside a transaction, on any connection of the pool (the statement is then its own
 * transaction), or on a dedicated connection given as such. For the SQL of the busiest paths
 * (trade creation, the event follower); answers the rows (also for UPDATE ... RETURNING).
 * Errors are wrapped like TypeORM's, so callers inspect them the same way.
 */
export async function preparedQuery<T>(
  on: PreparedTarget,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const client = on instanceof Client ? on : await connectionOf(on);
  try {
    const result = await client.query<T & object>({ name, text, values });
    return result.rows;
  } catch (e) {
    throw new QueryFailedError(text, values, e as Error);
  }
}

/**
 * node-pg under TypeORM, through the two members of its PostgreSQL driver that TypeORM declares
 * but types as `any`: the query runner's connection and the driver's pool. The only place that
 * reaches below TypeORM's API; test/prepared-query.e2e-spec.ts fails when an upgrade changes them.
 */
function connectionOf(tx: EntityManager): Promise<Pool | PoolClient> | Pool {
  const runner = tx.queryRunner as unknown as { connect(): Promise<PoolClient> } | undefined;
  return runner ? runner.connect() : (tx.connection.driver as unknown as { master: Pool }).master;
}
