import { MigrationInterface, QueryRunner } from 'typeorm';
import { featureSql } from '../feature-sql';
import { CreateShipmentFunction1764160500000 } from './1764160500000-CreateShipmentFunction';

const LEDGER_REASONS = `'adjustment', 'shipment_dispatch', 'shipment_delivery', 'shipment_return'`;

/**
 * Each feature's SQL from its own lib, writing only its own tables: inventory's stock movements
 * (inventory_reserve, and the capacity rule in inventory_commit_volume), cargo's
 * create_shipment() and trades' create_trade(), which replace the create_shipment() that wrote
 * every table and its copy of reserve_stock(). The ledger no longer accepts the reason
 * `trade_dispatch`, which nothing ever wrote.
 */
export class FeatureSqlOwners1764160800000 implements MigrationInterface {
  name = 'FeatureSqlOwners1764160800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION create_shipment(jsonb)`);
    await q.query(`DROP FUNCTION reserve_stock(uuid, jsonb)`);
    await q.query(featureSql('inventory', 'stock.v1.sql'));
    await q.query(featureSql('cargo', 'create-shipment.v2.sql'));
    await q.query(featureSql('trades', 'create-trade.v1.sql'));
    await q.query(`ALTER TABLE stock_ledger DROP CONSTRAINT ck_stock_ledger_reason`);
    await q.query(
      `ALTER TABLE stock_ledger ADD CONSTRAINT ck_stock_ledger_reason CHECK (reason IN (${LEDGER_REASONS}))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stock_ledger DROP CONSTRAINT ck_stock_ledger_reason`);
    await q.query(
      `ALTER TABLE stock_ledger ADD CONSTRAINT ck_stock_ledger_reason CHECK (reason IN ('trade_dispatch', ${LEDGER_REASONS}))`,
    );
    await q.query(`DROP FUNCTION create_trade(jsonb)`);
    await q.query(`DROP FUNCTION create_shipment(jsonb)`);
    await q.query(`DROP FUNCTION inventory_reserve(uuid, uuid, jsonb, numeric)`);
    await q.query(`DROP FUNCTION inventory_volume(jsonb)`);
    await q.query(`DROP FUNCTION inventory_commit_volume(uuid, numeric, boolean)`);
    // What the earlier migration made: its create_shipment(), reserve_stock() and iso_ms().
    await q.query(`DROP FUNCTION iso_ms(timestamptz)`);
    await new CreateShipmentFunction1764160500000().up(q);
  }
}
