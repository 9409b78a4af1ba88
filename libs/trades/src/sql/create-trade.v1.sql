-- create_trade(): a trade and the shipment that carries it, created by one statement.
-- Trades alone writes trades and trade_lines; the shipment (and the stock it reserves) is
-- cargo's create_shipment(), run inside this statement, whose refusals pass through as they are.
--
-- p: create_shipment()'s parameters, with trade_id, and
--    trade: { total_price, lines: [{ commodityId, quantity, unitPrice }] }
--
-- Events: create_shipment()'s, then trade.created.
CREATE FUNCTION create_trade(p jsonb) RETURNS SETOF shipments AS $$
DECLARE
  v_trade jsonb := p->'trade';
  v_shipment shipments;
BEGIN
  SELECT * INTO v_shipment FROM create_shipment(p);

  INSERT INTO trades (id, seller_station_id, buyer_station_id, total_price, shipment_id, created_by)
  VALUES (v_shipment.trade_id, v_shipment.origin_station_id, v_shipment.destination_station_id,
          (v_trade->>'total_price')::bigint, v_shipment.id, v_shipment.created_by);
  INSERT INTO trade_lines (trade_id, commodity_id, quantity, unit_price)
  SELECT v_shipment.trade_id, r."commodityId", r.quantity, r."unitPrice"
    FROM jsonb_to_recordset(v_trade->'lines') AS r("commodityId" uuid, quantity bigint, "unitPrice" bigint);

  INSERT INTO events (type, station_ids, payload)
  VALUES ('trade.created', ARRAY[v_shipment.origin_station_id, v_shipment.destination_station_id],
          jsonb_build_object(
            'transactionId', v_shipment.trade_id, 'status', 'pending',
            'sellerStationId', v_shipment.origin_station_id, 'buyerStationId', v_shipment.destination_station_id,
            'totalPrice', (v_trade->>'total_price')::bigint, 'shipmentId', v_shipment.id,
            'createdAt', iso_ms(now()), 'updatedAt', iso_ms(now()),
            'items', (SELECT jsonb_agg(jsonb_build_object(
                               'commodityId', r."commodityId", 'quantity', r.quantity,
                               'unitPrice', r."unitPrice", 'lineTotal', r.quantity * r."unitPrice")
                             ORDER BY r."commodityId")
                        FROM jsonb_to_recordset(v_trade->'lines')
                             AS r("commodityId" uuid, quantity bigint, "unitPrice" bigint))));

  RETURN NEXT v_shipment;
END
$$ LANGUAGE plpgsql;
