-- create_shipment(): a shipment created by one statement, with every check, lock and event.
-- Cargo alone writes shipments and shipment_items; the stock side is inventory's
-- inventory_reserve(), run inside this statement.
--
-- p: { origin, destination, items: [{ commodity_id, quantity }], created_by, trade_id (or null),
--      max_volume (m³), speed_km_s, time_scale, loading_ms }
--
-- Refusals raise P0001 with a HINT naming them and a JSON DETAIL, so the service needs no other
-- query while the failed transaction still holds its connection: ITN_STATION_NOT_FOUND
-- {stationId}, ITN_COMMODITY_NOT_FOUND {commodityId}, ITN_VOLUME_EXCEEDED {volume} (m³), and
-- inventory_reserve()'s ITN_INSUFFICIENT_STOCK and ITN_STATION_CAPACITY.
--
-- The shipment is written first (new rows, no contended lock); the stock levels and the
-- destination's station row are locked last, in inventory's order, so they are held as briefly
-- as the statement allows. Events: shipment.status_changed (scheduled), then inventory's.
-- Timestamps in payloads are written as JavaScript's toISOString() writes them (iso_ms).
CREATE FUNCTION create_shipment(p jsonb) RETURNS SETOF shipments AS $$
DECLARE
  v_origin uuid := (p->>'origin')::uuid;
  v_destination uuid := (p->>'destination')::uuid;
  v_from stations;
  v_to stations;
  v_missing uuid;
  v_volume numeric;
  v_distance double precision;
  v_travel_ms bigint;
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

  v_volume := inventory_volume(p->'items');
  IF v_volume > (p->>'max_volume')::numeric THEN
    RAISE EXCEPTION 'shipment volume exceeded' USING ERRCODE = 'P0001', HINT = 'ITN_VOLUME_EXCEEDED',
      DETAIL = json_build_object('volume', v_volume);
  END IF;

  -- Straight-line distance in AU; travel time at speed_km_s (149,597,870.7 km per AU), in real ms.
  v_distance := sqrt((v_from.position_x - v_to.position_x) ^ 2 + (v_from.position_y - v_to.position_y) ^ 2
                     + (v_from.position_z - v_to.position_z) ^ 2);
  v_travel_ms := round(v_distance * 149597870.7 / (p->>'speed_km_s')::double precision
                       / (p->>'time_scale')::double precision * 1000);

  INSERT INTO shipments (origin_station_id, destination_station_id, trade_id, volume, distance_au, travel_ms,
                         created_by, dispatch_at, eta, timeline)
  VALUES (v_origin, v_destination, (p->>'trade_id')::uuid, v_volume, v_distance, v_travel_ms,
          (p->>'created_by')::uuid,
          now() + make_interval(secs => (p->>'loading_ms')::double precision / 1000),
          now() + make_interval(secs => ((p->>'loading_ms')::double precision + v_travel_ms) / 1000),
          jsonb_build_array(jsonb_build_object('status', 'scheduled', 'at', now())))
  RETURNING * INTO v_shipment;
  INSERT INTO shipment_items (shipment_id, commodity_id, quantity)
  SELECT v_shipment.id, r.commodity_id, r.quantity
    FROM jsonb_to_recordset(p->'items') AS r(commodity_id uuid, quantity bigint);

  INSERT INTO events (type, station_ids, payload)
  VALUES ('shipment.status_changed', ARRAY[v_origin, v_destination],
          jsonb_build_object(
            'shipmentId', v_shipment.id, 'tradeId', v_shipment.trade_id, 'status', v_shipment.status,
            'previousStatus', NULL, 'originStationId', v_origin, 'destinationStationId', v_destination,
            'dispatchAt', iso_ms(v_shipment.dispatch_at), 'eta', iso_ms(v_shipment.eta),
            'departedAt', NULL, 'deliveredAt', NULL, 'at', iso_ms(now())));

  PERFORM inventory_reserve(v_origin, v_destination, p->'items', v_volume);

  RETURN NEXT v_shipment;
END
$$ LANGUAGE plpgsql;
