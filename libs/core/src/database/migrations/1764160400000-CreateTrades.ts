import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTrades1764160400000 implements MigrationInterface {
  name = 'CreateTrades1764160400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trades (
        id uuid PRIMARY KEY,
        seller_station_id uuid NOT NULL REFERENCES stations (id) ON DELETE RESTRICT,
        buyer_station_id uuid NOT NULL REFERENCES stations (id) ON DELETE RESTRICT,
        status varchar(16) NOT NULL DEFAULT 'pending',
        total_price bigint NOT NULL,
        shipment_id uuid NOT NULL REFERENCES shipments (id) ON DELETE RESTRICT,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_trades_shipment_id UNIQUE (shipment_id),
        CONSTRAINT ck_trades_status CHECK (status IN ('pending', 'in_transit', 'completed', 'cancelled', 'failed')),
        CONSTRAINT ck_trades_parties CHECK (seller_station_id <> buyer_station_id),
        CONSTRAINT ck_trades_total_price CHECK (total_price >= 0)
      )`);
    await q.query(`CREATE INDEX ix_trades_seller ON trades (seller_station_id, id DESC)`);
    await q.query(`CREATE INDEX ix_trades_buyer ON trades (buyer_station_id, id DESC)`);

    await q.query(`
      CREATE TABLE trade_lines (
        trade_id uuid NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
        commodity_id uuid NOT NULL REFERENCES commodities (id) ON DELETE RESTRICT,
        quantity bigint NOT NULL,
        unit_price bigint NOT NULL,
        PRIMARY KEY (trade_id, commodity_id),
        CONSTRAINT ck_trade_lines_quantity CHECK (quantity > 0),
        CONSTRAINT ck_trade_lines_unit_price CHECK (unit_price >= 0)
      )`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL,
        key varchar(255) NOT NULL,
        scope varchar(100) NOT NULL,
        fingerprint char(64) NOT NULL,
        response_status smallint NOT NULL,
        response_body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE trade_lines`);
    await q.query(`DROP TABLE trades`);
  }
}
