import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateInventoryAndEvents1764160200000 implements MigrationInterface {
  name = 'CreateInventoryAndEvents1764160200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stock_levels (
        station_id uuid NOT NULL REFERENCES stations (id) ON DELETE RESTRICT,
        commodity_id uuid NOT NULL REFERENCES commodities (id) ON DELETE RESTRICT,
        on_hand bigint NOT NULL DEFAULT 0,
        reserved bigint NOT NULL DEFAULT 0,
        incoming bigint NOT NULL DEFAULT 0,
        version bigint NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station_id, commodity_id),
        CONSTRAINT ck_stock_levels_reserved CHECK (reserved >= 0 AND reserved <= on_hand),
        CONSTRAINT ck_stock_levels_incoming CHECK (incoming >= 0)
      )`);
    await q.query(`CREATE INDEX ix_stock_levels_commodity_id ON stock_levels (commodity_id)`);

    // Append-only: one row per change of on_hand. Corrections are new rows.
    await q.query(`
      CREATE TABLE stock_ledger (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        station_id uuid NOT NULL,
        commodity_id uuid NOT NULL,
        delta bigint NOT NULL,
        balance_after bigint NOT NULL,
        reason varchar(32) NOT NULL,
        reference_type varchar(32),
        reference_id uuid,
        actor_id uuid,
        note varchar(200),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fk_stock_ledger_level FOREIGN KEY (station_id, commodity_id)
          REFERENCES stock_levels (station_id, commodity_id) ON DELETE RESTRICT,
        CONSTRAINT ck_stock_ledger_delta CHECK (delta <> 0),
        CONSTRAINT ck_stock_ledger_balance CHECK (balance_after >= 0),
        CONSTRAINT ck_stock_ledger_reason CHECK (
          reason IN ('adjustment', 'trade_dispatch', 'shipment_dispatch', 'shipment_delivery', 'shipment_return'))
      )`);
    await q.query(`CREATE INDEX ix_stock_ledger_station ON stock_ledger (station_id, id DESC)`);
    await q.query(`CREATE INDEX ix_stock_ledger_level ON stock_ledger (station_id, commodity_id, id DESC)`);
    await q.query(`
      CREATE FUNCTION stock_ledger_append_only() RETURNS trigger AS $$
      BEGIN
        RAISE EXCEPTION 'stock_ledger is append-only';
      END
      $$ LANGUAGE plpgsql`);
    await q.query(`
      CREATE TRIGGER tr_stock_ledger_append_only BEFORE UPDATE OR DELETE ON stock_ledger
      FOR EACH ROW EXECUTE FUNCTION stock_ledger_append_only()`);

    // The outbox and the durable history of every change. tx_id records the writing
    // transaction so a follower can read the log in commit-safe order.
    await q.query(`
      CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        type varchar(64) NOT NULL,
        station_ids uuid[] NOT NULL,
        payload jsonb NOT NULL,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_events_station_ids ON events USING gin (station_ids)`);
    await q.query(`CREATE INDEX ix_events_created_at ON events (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE events`);
    await q.query(`DROP TRIGGER tr_stock_ledger_append_only ON stock_ledger`);
    await q.query(`DROP FUNCTION stock_ledger_append_only()`);
    await q.query(`DROP TABLE stock_ledger`);
    await q.query(`DROP TABLE stock_levels`);
  }
}
