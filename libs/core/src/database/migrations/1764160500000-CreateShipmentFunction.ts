import { MigrationInterface, QueryRunner } from 'typeorm';

/** reserve_stock() (see CreateShipments) with `raise` as the refusal of a short line. */
function reserveStock(raise: string): string {
  return `
      CREATE OR REPLACE FUNCTION reserve_stock(p_station uuid, p_items jsonb)
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
            ${raise}
          END IF;
        END LOOP;
      END
      $$ LANGUAGE plpgsql`;
}

/**
 * create_shipment(): a shipment, and the trade it carries if any, created by one statement.
 *
 * Every step runs in the caller's statement, so without an idempotency key the whole creation is
 * a single round trip and its own transaction. The steps and their lock order are those of the
 * other stock movements: the origin's levels in commodity order (reserve_stock), the
 * destination's missing levels, and the destination station row (committed_volume) last.
 *
 * A refusal raises P0001 with a HINT naming it and a DETAIL, a JSON object, with what the
 * service's error needs (so it needs no other query, while the failed transaction still holds
 * its connection): ITN_STATION_NOT_FOUND {stationId}, ITN_COMMODITY_NOT_FOUND {commodityId},
 * ITN_VOLUME_EXCEEDED {volume} (m³), ITN_INSUFFICIENT_STOCK {commodityId, sku} (from
 * reserve_stock, redefined here for that), ITN_STATION_CAPACITY {stationId}.
 *
 * The events are the service's own (see event-types.ts): shipment.status_changed (scheduled), one
 * inventory.changed per reserved line, and trade.created for a trade. Timestamps are written as
 * JavaScript's toISOString() writes them (UTC, milliseconds).
 */
export class CreateShipmentFunction1764160500000 implements MigrationInterface {
  name = 'CreateShipmentFunction1764160500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION iso_ms(t timestamptz) RETURNS text AS $$
        SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE`);

    await q.query(
      reserveStock(`RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'P0001', HINT = 'ITN_INSUFFICIENT_STOCK',
              DETAIL = json_build_object('commodityId', item.commodity_id,
                                         'sku', (SELECT c.sku FROM commodities c WHERE c.id = item.commodity_id));`),
    );

    // p: { origin, destination, items: [{ commodity_id, quantity }], created_by, max_volume (m³),
    //      speed_km_s, time_scale, loading_ms,
    //      trade: null | { id, total_price, lines: [{ commodityId, quantity, unitPrice }] } }
    await q.query(`
      CREATE FUNCTION create_shipment(p jsonb) RETURNS SETOF shipments AS $$
      DECLARE
        v_origin uuid := (p->>'origin')::uuid;
        v_destination uuid := (p->>'destination')::uuid;
        v_trade jsonb := nullif(p->'trade', 'null');
        v_from stations;
        v_to stations;
        v_missing uuid;
        v_volume numeric;
        v_distance double precision;
        v_travel_ms bigint;
        v_levels jsonb;
        v_shipment shipments;
      BEGIN
        SELECT * INTO v_from FROM stations WHERE id = v_origin;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'station not found' USING ERRCODE = 'P0001', HINT = 'ITN_STATION_NOT_FOUND',
            DETAIL = json_build_object('stationId', v_origin);
        END IF;
        SELECT * INTO v_to FROM stations WHERE id = v_destination;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'station not found' USING ERRCODE = 'P0001', HINT = 'ITN_STATION_NOT_FOUND',
            DETAIL = json_build_object('stationId', v_destination);
        END IF;

        SELECT r.commodity_id INTO v_missing
          FROM ROWS FROM (jsonb_to_recordset(p->'items') AS (commodity_id uuid, quantity bigint))
               WITH ORDINALITY AS r(commodity_id, quantity, n)
         WHERE NOT EXISTS (SELECT 1 FROM commodities c WHERE c.id = r.commodity_id)
         ORDER BY r.n LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'commodity not found' USING ERRCODE = 'P0001', HINT = 'ITN_COMMODITY_NOT_FOUND',
            DETAIL = json_build_object('commodityId', v_missing);
        END IF;

        SELECT sum(r.quantity * c.unit_volume) INTO v_volume
          FROM jsonb_to_recordset(p->'items') AS r(commodity_id uuid, quantity bigint)
          JOIN commodities c ON c.id = r.commodity_id;
        IF v_volume > (p->>'max_volume')::numeric THEN
          RAISE EXCEPTION 'shipment volume exceeded' USING ERRCODE = 'P0001', HINT = 'ITN_VOLUME_EXCEEDED',
            DETAIL = json_build_object('volume', v_volume);
        END IF;

        SELECT jsonb_agg(jsonb_build_object(
                 'stationId', v_origin, 'commodityId', l.commodity_id, 'onHand', l.on_hand, 'reserved', l.reserved,
                 'available', l.on_hand - l.reserved, 'incoming', l.incoming, 'delta', 0, 'reason', 'reservation')
               ORDER BY l.commodity_id)
          INTO v_levels
          FROM reserve_stock(v_origin, p->'items') AS l;

        -- Existing levels are filtered out by a plain read first: ON CONFLICT alone would wait for
        -- whoever holds those rows, a lock taken out of the global order.
        INSERT INTO stock_levels (station_id, commodity_id)
        SELECT v_destination, r.commodity_id
          FROM jsonb_to_recordset(p->'items') AS r(commodity_id uuid, quantity bigint)
         WHERE NOT EXISTS (SELECT 1 FROM stock_levels l WHERE l.station_id = v_destination
                                                          AND l.commodity_id = r.commodity_id)
         ORDER BY r.commodity_id
        ON CONFLICT DO NOTHING;

        UPDATE stations SET committed_volume = committed_volume + v_volume
         WHERE id = v_destination AND committed_volume + v_volume <= storage_capacity;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'station capacity exceeded' USING ERRCODE = 'P0001', HINT = 'ITN_STATION_CAPACITY',
            DETAIL = json_build_object('stationId', v_destination);
        END IF;

        -- Straight-line distance in AU; travel time at speed_km_s (149,597,870.7 km per AU), in real ms.
        v_distance := sqrt((v_from.position_x - v_to.position_x) ^ 2 + (v_from.position_y - v_to.position_y) ^ 2
                           + (v_from.position_z - v_to.position_z) ^ 2);
        v_travel_ms := round(v_distance * 149597870.7 / (p->>'speed_km_s')::double precision
                             / (p->>'time_scale')::double precision * 1000);

        INSERT INTO shipments (origin_station_id, destination_station_id, trade_id, volume, distance_au, travel_ms,
                               created_by, dispatch_at, eta, timeline)
        VALUES (v_origin, v_destination, (v_trade->>'id')::uuid, v_volume, v_distance, v_travel_ms,
                (p->>'created_by')::uuid,
                now() + make_interval(secs => (p->>'loading_ms')::double precision / 1000),
                now() + make_interval(secs => ((p->>'loading_ms')::double precision + v_travel_ms) / 1000),
                jsonb_build_array(jsonb_build_object('status', 'scheduled', 'at', now())))
        RETURNING * INTO v_shipment;
        INSERT INTO shipment_items (shipment_id, commodity_id, quantity)
        SELECT v_shipment.id, r.commodity_id, r.quantity
          FROM jsonb_to_recordset(p->'items') AS r(commodity_id uuid, quantity bigint);

        IF v_trade IS NOT NULL THEN
          INSERT INTO trades (id, seller_station_id, buyer_station_id, total_price, shipment_id, created_by)
          VALUES (v_shipment.trade_id, v_origin, v_destination, (v_trade->>'total_price')::bigint, v_shipment.id,
                  v_shipment.created_by);
          INSERT INTO trade_lines (trade_id, commodity_id, quantity, unit_price)
          SELECT v_shipment.trade_id, r."commodityId", r.quantity, r."unitPrice"
            FROM jsonb_to_recordset(v_trade->'lines') AS r("commodityId" uuid, quantity bigint, "unitPrice" bigint);
        END IF;

        INSERT INTO events (type, station_ids, payload)
        SELECT e.type, e.station_ids, e.payload
          FROM (
            SELECT 1 AS n, 0::bigint AS i, 'shipment.status_changed' AS type, ARRAY[v_origin, v_destination] AS station_ids,
                   jsonb_build_object(
                     'shipmentId', v_shipment.id, 'tradeId', v_shipment.trade_id, 'status', v_shipment.status,
                     'previousStatus', NULL, 'originStationId', v_origin, 'destinationStationId', v_destination,
                     'dispatchAt', iso_ms(v_shipment.dispatch_at), 'eta', iso_ms(v_shipment.eta),
                     'departedAt', NULL, 'deliveredAt', NULL, 'at', iso_ms(now())) AS payload
            UNION ALL
            SELECT 2, l.i, 'inventory.changed', ARRAY[v_origin], l.level
              FROM jsonb_array_elements(v_levels) WITH ORDINALITY AS l(level, i)
            UNION ALL
            SELECT 3, 0, 'trade.created', ARRAY[v_origin, v_destination],
                   jsonb_build_object(
                     'transactionId', v_shipment.trade_id, 'status', 'pending', 'sellerStationId', v_origin,
                     'buyerStationId', v_destination, 'totalPrice', (v_trade->>'total_price')::bigint,
                     'shipmentId', v_shipment.id, 'createdAt', iso_ms(now()), 'updatedAt', iso_ms(now()),
                     'items', (SELECT jsonb_agg(jsonb_build_object(
                                        'commodityId', r."commodityId", 'quantity', r.quantity,
                                        'unitPrice', r."unitPrice", 'lineTotal', r.quantity * r."unitPrice")
                                      ORDER BY r."commodityId")
                                 FROM jsonb_to_recordset(v_trade->'lines')
                                      AS r("commodityId" uuid, quantity bigint, "unitPrice" bigint)))
             WHERE v_trade IS NOT NULL
          ) AS e
         ORDER BY e.n, e.i;

        RETURN NEXT v_shipment;
      END
      $$ LANGUAGE plpgsql`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION create_shipment(jsonb)`);
    await q.query(`DROP FUNCTION iso_ms(timestamptz)`);
    // reserve_stock as CreateShipments left it.
    await q.query(
      reserveStock(`RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'P0001', DETAIL = item.commodity_id::text,
              HINT = 'ITN_INSUFFICIENT_STOCK';`),
    );
  }
}
