-- Inventory's SQL: the stock movements that other features' statements run inside their own.
-- Inventory alone writes stock_levels, stock_ledger and stations.committed_volume.
-- Lock order in every transaction that takes several: stock levels by (station, commodity),
-- then station rows (committed_volume), then wallets.

-- The capacity rule, the only place it is written: a station takes in no more volume than its
-- storage capacity. committed_volume is what a station has promised: on hand + incoming +
-- inbound shipments not yet dispatched. A decrease, or p_enforce = false (goods returning to
-- where they came from), is never refused. Takes the station row lock.
CREATE FUNCTION inventory_commit_volume(p_station uuid, p_delta numeric, p_enforce boolean DEFAULT true)
RETURNS boolean AS $$
  WITH changed AS (
    UPDATE stations SET committed_volume = committed_volume + p_delta
     WHERE id = p_station
       AND (NOT p_enforce OR p_delta <= 0 OR committed_volume + p_delta <= storage_capacity)
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM changed)
$$ LANGUAGE sql;

-- The volume (m³) of lines [{commodity_id, quantity}] of known commodities.
CREATE FUNCTION inventory_volume(p_items jsonb) RETURNS numeric AS $$
  SELECT coalesce(sum(r.quantity * c.unit_volume), 0)
    FROM jsonb_to_recordset(p_items) AS r(commodity_id uuid, quantity bigint)
    JOIN commodities c ON c.id = r.commodity_id
$$ LANGUAGE sql STABLE;

-- Goods promised from p_origin to p_destination: every line reserved at the origin (all or
-- nothing, levels locked in commodity order), the destination's missing levels created, and
-- p_volume claimed at the destination (its station row, last). One inventory.changed event per
-- reserved line, reason 'reservation'.
-- Refusals raise P0001 with a HINT naming them and a JSON DETAIL:
--   ITN_INSUFFICIENT_STOCK {commodityId, sku}, ITN_STATION_CAPACITY {stationId}.
CREATE FUNCTION inventory_reserve(p_origin uuid, p_destination uuid, p_items jsonb, p_volume numeric)
RETURNS void AS $$
DECLARE
  item record;
  v_level stock_levels;
  v_events jsonb := '[]';
BEGIN
  FOR item IN
    SELECT r.commodity_id, r.quantity
      FROM jsonb_to_recordset(p_items) AS r(commodity_id uuid, quantity bigint)
     ORDER BY r.commodity_id
  LOOP
    UPDATE stock_levels l
       SET reserved = l.reserved + item.quantity, version = l.version + 1, updated_at = now()
     WHERE l.station_id = p_origin AND l.commodity_id = item.commodity_id
       AND l.on_hand - l.reserved >= item.quantity
    RETURNING l.* INTO v_level;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'P0001', HINT = 'ITN_INSUFFICIENT_STOCK',
        DETAIL = json_build_object('commodityId', item.commodity_id,
                                   'sku', (SELECT c.sku FROM commodities c WHERE c.id = item.commodity_id));
    END IF;
    v_events := v_events || jsonb_build_object(
      'stationId', p_origin, 'commodityId', v_level.commodity_id, 'onHand', v_level.on_hand,
      'reserved', v_level.reserved, 'available', v_level.on_hand - v_level.reserved,
      'incoming', v_level.incoming, 'delta', 0, 'reason', 'reservation');
  END LOOP;

  -- Existing levels are filtered out by a plain read first: ON CONFLICT alone would wait for
  -- whoever holds those rows, a lock taken out of the global order.
  INSERT INTO stock_levels (station_id, commodity_id)
  SELECT p_destination, r.commodity_id
    FROM jsonb_to_recordset(p_items) AS r(commodity_id uuid, quantity bigint)
   WHERE NOT EXISTS (SELECT 1 FROM stock_levels l WHERE l.station_id = p_destination
                                                    AND l.commodity_id = r.commodity_id)
   ORDER BY r.commodity_id
  ON CONFLICT DO NOTHING;

  IF NOT inventory_commit_volume(p_destination, p_volume) THEN
    RAISE EXCEPTION 'station capacity exceeded' USING ERRCODE = 'P0001', HINT = 'ITN_STATION_CAPACITY',
      DETAIL = json_build_object('stationId', p_destination);
  END IF;

  INSERT INTO events (type, station_ids, payload)
  SELECT 'inventory.changed', ARRAY[p_origin], e.level
    FROM jsonb_array_elements(v_events) WITH ORDINALITY AS e(level, n)
   ORDER BY e.n;
END
$$ LANGUAGE plpgsql;
