import { preparedQuery } from '@itn/core';
import { Pool } from 'pg';
import { createTestApp, TestApp } from './helpers/test-app';

/**
 * preparedQuery (libs/core/src/database/prepared.ts) reaches node-pg under TypeORM through
 * members TypeORM declares but does not type: the PostgreSQL driver's pool (`driver.master`) and
 * the connection a transaction's query runner holds (`queryRunner.connect()`). When one of these
 * fails after an upgrade of typeorm or pg, prepared.ts must be brought in line with it.
 */
describe('Prepared statements through TypeORM (e2e)', () => {
  let t: TestApp;
  const loudly = async (what: string, check: () => Promise<void>) => {
    try {
      await check();
    } catch (e) {
      throw new Error(`TypeORM or pg changed what prepared.ts relies on: ${what}\n${(e as Error).message}`, {
        cause: e,
      });
    }
  };

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('the PostgreSQL driver’s master is a node-pg Pool', async () => {
    await loudly('DataSource.driver.master is the pg Pool', async () => {
      expect((t.dataSource.driver as unknown as { master: unknown }).master).toBeInstanceOf(Pool);
      const rows = await preparedQuery<{ n: number }>(t.dataSource.manager, 'itn_test_outside', 'SELECT 1 AS n', []);
      expect(rows).toEqual([{ n: 1 }]);
    });
  });

  it('runs inside a transaction on its own connection, as a named statement', async () => {
    await loudly('queryRunner.connect() resolves to the transaction’s pg client', async () => {
      await t.dataSource.transaction(async (tx) => {
        const [{ pid }] = await tx.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
        const rows = await preparedQuery<{ pid: number }>(tx, 'itn_test_inside', 'SELECT pg_backend_pid() AS pid', []);
        expect(rows).toEqual([{ pid }]);
        const prepared = await tx.query<{ name: string }[]>(
          `SELECT name FROM pg_prepared_statements WHERE name = 'itn_test_inside'`,
        );
        expect(prepared).toEqual([{ name: 'itn_test_inside' }]);
      });
    });
  });
});
