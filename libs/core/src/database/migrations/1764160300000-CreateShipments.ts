import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateShipments1764160300000 implements MigrationInterface {
  name = 'CreateShipments1764160300000';

  async up(q: QueryRunner): Promise<void> {
    // Volume a station has promised: on hand + incoming + inbound shipments not yet dispatched.
    // Kept by every change so the capacity check is one conditional UPDATE.
    await q.query(`ALTER TABLE stations ADD COLUMN committed_volume numeric(18, 3) NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE stations ADD CONSTRAINT ck_stations_committed_volume CHECK (committed_volume >= 0)`);
    await q.query(`
      UPDATE stations s SET committed_volume = coalesce((
        SELECT sum((l.on_hand + l.incoming) * c.unit_volume)
          FROM stock_levels l JOIN commodities c ON c.id = l.commodity_id
         WHERE l.station_id = s.id), 0)`);

    await q.query(`
      CREATE TABLE shipments (
        id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
        origin_station_id uuid NOT NULL REFERENCES stations (id) ON DELETE RESTRICT,
        destination_station_id uuid NOT NULL REFERENCES stations (id) ON DELETE RESTRICT,
        trade_id uuid,
        status varchar(16) NOT NULL DEFAULT 'scheduled',
        volume numeric(18, 3) NOT NULL,
        distance_au double precision NOT NULL,
        travel_ms bigint NOT NULL,
        created_by uuid,
        dispatch_at timestamptz NOT NULL,
        departed_at timestamptz,
        eta timestamptz NOT NULL,
        delivered_at timestamptz,
        failure_reason varchar(200),
        timeline jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_shipments_status CHECK (status IN ('scheduled', 'in_transit', 'delivered', 'cancelled', 'failed')),
        CONSTRAINT ck_shipments_route CHECK (origin_station_id <> destination_station_id),
        CONSTRAINT ck_shipments_volume CHECK (volume > 0)
      )`);
    await q.query(`CREATE INDEX ix_shipments_origin ON shipments (origin_station_id, id DESC)`);
    await q.query(`CREATE INDEX ix_shipments_destination ON shipments (destination_station_id, id DESC)`);
    await q.query(`CREATE INDEX ix_shipments_trade_id ON shipments (trade_id) WHERE trade_id IS NOT NULL`);
    // The sweep looks for shipments whose next step is overdue.
    await q.query(`CREATE INDEX ix_shipments_scheduled_due ON shipments (dispatch_at) WHERE status = 'scheduled'`);
    await q.query(`CREATE INDEX ix_shipments_in_transit_due ON shipments (eta) WHERE status = 'in_transit'`);

    await q.query(`
      CREATE TABLE shipment_items (
        shipment_id uuid NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
        commodity_id uuid NOT NULL REFERENCES commodities (id) ON DELETE RESTRICT,
        quantity bigint NOT NULL,
        PRIMARY KEY (shipment_id, commodity_id),
        CONSTRAINT ck_shipment_items_quantity CHECK (quantity > 0)
      )`);

    // Reserves stock for several lines in one round trip: levels are locked in commodity order
    // (so concurrent reservations cannot deadlock), each line is one conditional UPDATE, and a
    // short line raises, which rolls back every line of the caller's transaction.
    await q.query(`
      CREATE FUNCTION reserve_stock(p_station uuid, p_items jsonb)
      RETURNS TABLE (commodity_id uuid, on_hand bigint, reserved bigint, incoming bigint) AS $$
      DECLARE
        item record;
      BEGIN
        FOR item IN
          SELECT r.commodity_id, r.quantity
            FROM jsonb_to_recordset(p_items) AS r(commodity_id uuid, quantity bigint)
           ORDER BY r.commodity_id
        LOOP
          RETURN QUERY
            UPDATE stock_levels l
               SET reserved = l.reserved + item.quantity, version = l.version + 1, updated_at = now()
             WHERE l.station_id = p_station AND l.commodity_id = item.commodity_id
               AND l.on_hand - l.reserved >= item.quantity
            RETURNING l.commodity_id, l.on_hand, l.reserved, l.incoming;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'P0001', DETAIL = item.commodity_id::text,
              HINT = 'ITN_INSUFFICIENT_STOCK';
          END IF;
        END LOOP;
      END
      $$ LANGUAGE plpgsql`);

    // The relay's position in the event log, as (transaction id, event id).
    await q.query(`
      CREATE TABLE relay_cursors (
        name varchar(64) PRIMARY KEY,
        tx_id xid8 NOT NULL DEFAULT '0',
        event_id bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_events_log_order ON events (tx_id, id)`);

    // Wakes followers of the log when a transaction that wrote events commits.
    await q.query(`
      CREATE FUNCTION events_notify() RETURNS trigger AS $$
      BEGIN
        PERFORM pg_notify('itn_events', '');
        RETURN NULL;
      END
      $$ LANGUAGE plpgsql`);
    await q.query(`
      CREATE TRIGGER tr_events_notify AFTER INSERT ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION reserve_stock(uuid, jsonb)`);
    await q.query(`DROP TRIGGER tr_events_notify ON events`);
    await q.query(`DROP FUNCTION events_notify()`);
    await q.query(`DROP INDEX ix_events_log_order`);
    await q.query(`DROP TABLE relay_cursors`);
    await q.query(`DROP TABLE shipment_items`);
    await q.query(`DROP TABLE shipments`);
    await q.query(`ALTER TABLE stations DROP COLUMN committed_volume`);
  }
}
