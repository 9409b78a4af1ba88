import { InsufficientStockError } from '@itn/inventory';
import { pgError, preparedQuery } from '@itn/core';
import type { ShipmentStatus } from '@itn/events';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface ShipmentRow {
  id: string;
  origin_station_id: string;
  destination_station_id: string;
  trade_id: string | null;
  status: ShipmentStatus;
  volume: string;
  distance_au: number;
  travel_ms: string;
  created_by: string | null;
  dispatch_at: Date;
  departed_at: Date | null;
  eta: Date;
  delivered_at: Date | null;
  failure_reason: string | null;
  timeline: { status: ShipmentStatus; at: string; note?: string }[];
  created_at: Date;
  items: { commodityId: string; quantity: number }[];
}

export interface LineQuantity {
  commodityId: string;
  quantity: number;
}

export interface LevelAfter {
  station_id: string;
  commodity_id: string;
  on_hand: string;
  reserved: string;
  incoming: string;
  quantity: string;
}

export interface RouteInfo {
  stations: Map<string, { x: number; y: number; z: number }>;
  commodities: Map<string, { sku: string; unitVolume: string }>;
}

const SHIPMENT_COLUMNS = `s.id, s.origin_station_id, s.destination_station_id, s.trade_id, s.status, s.volume,
  s.distance_au, s.travel_ms, s.created_by, s.dispatch_at, s.departed_at, s.eta, s.delivered_at, s.failure_reason,
  s.timeline, s.created_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('commodityId', i.commodity_id, 'quantity', i.quantity)
                             ORDER BY i.commodity_id), '[]')
     FROM shipment_items i WHERE i.shipment_id = s.id) AS items`;

const items = (lines: LineQuantity[]) =>
  JSON.stringify(lines.map((l) => ({ commodity_id: l.commodityId, quantity: l.quantity })));

/** The SQL of shipments and of the stock they move. Callers hold the transaction. */
@Injectable()
export class ShipmentsRepository {
  async routeInfo(tx: EntityManager, stationIds: string[], commodityIds: string[]): Promise<RouteInfo> {
    const rows = await preparedQuery<{
      kind: 'station' | 'commodity';
      id: string;
      x: number;
      y: number;
      z: number;
      sku: string;
      unit_volume: string;
    }>(
      tx,
      'shipments_route_info',
      `SELECT 'station' AS kind, id, position_x AS x, position_y AS y, position_z AS z, NULL AS sku, NULL AS unit_volume
         FROM stations WHERE id = ANY($1::uuid[])
       UNION ALL
       SELECT 'commodity', id, NULL, NULL, NULL, sku, unit_volume::text
         FROM commodities WHERE id = ANY($2::uuid[])`,
      [stationIds, commodityIds],
    );
    const info: RouteInfo = { stations: new Map(), commodities: new Map() };
    for (const r of rows) {
      if (r.kind === 'station') info.stations.set(r.id, { x: r.x, y: r.y, z: r.z });
      else info.commodities.set(r.id, { sku: r.sku, unitVolume: r.unit_volume });
    }
    return info;
  }

  /** Reserves every line at the station, all or nothing (see reserve_stock in the migrations). */
  async reserve(tx: EntityManager, stationId: string, lines: LineQuantity[], skuOf: (id: string) => string) {
    try {
      return await preparedQuery<{ commodity_id: string; on_hand: string; reserved: string; incoming: string }>(
        tx,
        'reserve_stock',
        'SELECT * FROM reserve_stock($1, $2::jsonb)',
        [stationId, items(lines)],
      );
    } catch (e) {
      const info = pgError(e);
      if (info?.code === 'P0001' && info.hint === 'ITN_INSUFFICIENT_STOCK' && info.detail) {
        const line = lines.find((l) => l.commodityId === info.detail);
        throw new InsufficientStockError({
          stationId,
          commodityId: info.detail,
          sku: skuOf(info.detail),
          requested: line?.quantity,
        });
      }
      throw e;
    }
  }

  /**
   * Creates the levels a shipment will deliver into, so later steps only update rows.
   * Existing levels are filtered out by a plain read first: ON CONFLICT alone would wait for
   * whoever holds those rows, a lock taken out of the global order.
   */
  async ensureLevels(tx: EntityManager, stationId: string, commodityIds: string[]): Promise<void> {
    await preparedQuery(
      tx,
      'stock_levels_ensure',
      `INSERT INTO stock_levels (station_id, commodity_id)
       SELECT $1, c FROM unnest($2::uuid[]) AS c
        WHERE NOT EXISTS (SELECT 1 FROM stock_levels l WHERE l.station_id = $1 AND l.commodity_id = c)
        ORDER BY c
       ON CONFLICT DO NOTHING`,
      [stationId, commodityIds],
    );
  }

  async insert(
    tx: EntityManager,
    s: {
      originStationId: string;
      destinationStationId: string;
      tradeId: string | null;
      volume: string;
      distanceAu: number;
      travelMs: number;
      loadingMs: number;
      createdBy: string | null;
      lines: LineQuantity[];
    },
  ): Promise<ShipmentRow> {
    const [row] = await preparedQuery<ShipmentRow>(
      tx,
      'shipments_insert',
      `WITH s AS (
         INSERT INTO shipments (origin_station_id, destination_station_id, trade_id, volume, distance_au, travel_ms,
                                created_by, dispatch_at, eta, timeline)
         VALUES ($1, $2, $3, $4::numeric, $5, $6::bigint, $7,
                 now() + make_interval(secs => $8::double precision / 1000),
                 now() + make_interval(secs => ($8::double precision + $6::bigint) / 1000),
                 jsonb_build_array(jsonb_build_object('status', 'scheduled', 'at', now())))
         RETURNING *
       ), i AS (
         INSERT INTO shipment_items (shipment_id, commodity_id, quantity)
         SELECT s.id, r.commodity_id, r.quantity
           FROM s, jsonb_to_recordset($9::jsonb) AS r(commodity_id uuid, quantity bigint)
       )
       SELECT * FROM s`,
      [
        s.originStationId,
        s.destinationStationId,
        s.tradeId,
        s.volume,
        s.distanceAu,
        s.travelMs,
        s.createdBy,
        s.loadingMs,
        items(s.lines),
      ],
    );
    return { ...row, items: [...s.lines].sort((a, b) => (a.commodityId < b.commodityId ? -1 : 1)) };
  }

  async findById(manager: EntityManager, id: string): Promise<ShipmentRow | undefined> {
    const [row] = await manager.query<ShipmentRow[]>(`SELECT ${SHIPMENT_COLUMNS} FROM shipments s WHERE s.id = $1`, [
      id,
    ]);
    return row ? normalise(row) : undefined;
  }

  async list(
    manager: EntityManager,
    filter: { stationIds: string[] | null; status?: ShipmentStatus; beforeId?: string; limit: number },
  ): Promise<ShipmentRow[]> {
    const rows = await manager.query<ShipmentRow[]>(
      `SELECT ${SHIPMENT_COLUMNS} FROM shipments s
        WHERE ($1::uuid[] IS NULL OR s.origin_station_id = ANY($1) OR s.destination_station_id = ANY($1))
          AND ($2::text IS NULL OR s.status = $2)
          AND ($3::uuid IS NULL OR s.id < $3)
        ORDER BY s.id DESC
        LIMIT $4`,
      [filter.stationIds, filter.status ?? null, filter.beforeId ?? null, filter.limit],
    );
    return rows.map(normalise);
  }

  /**
   * The guarded transition every step is made of: it changes the shipment only if it is
   * still in `from`, so a step replayed after it happened changes nothing.
   */
  async transition(
    tx: EntityManager,
    id: string,
    from: ShipmentStatus,
    to: ShipmentStatus,
    set: { departed?: boolean; delivered?: boolean; failureReason?: string } = {},
  ): Promise<ShipmentRow | undefined> {
    const [rows] = await tx.query<[ShipmentRow[], number]>(
      `UPDATE shipments s
          SET status = $3::text,
              departed_at = CASE WHEN $4::boolean THEN now() ELSE departed_at END,
              eta = CASE WHEN $4::boolean THEN now() + make_interval(secs => travel_ms::double precision / 1000) ELSE eta END,
              delivered_at = CASE WHEN $5::boolean THEN now() ELSE delivered_at END,
              failure_reason = coalesce($6::text, failure_reason),
              timeline = timeline || jsonb_build_array(jsonb_strip_nulls(
                jsonb_build_object('status', $3::text, 'at', now(), 'note', $6::text))),
              updated_at = now()
        WHERE s.id = $1 AND s.status = $2::text
        RETURNING ${SHIPMENT_COLUMNS}`,
      [id, from, to, set.departed ?? false, set.delivered ?? false, set.failureReason ?? null],
    );
    return rows[0] ? normalise(rows[0]) : undefined;
  }

  /** Locks the levels in one global order, (station, commodity), so no two steps can deadlock. */
  async lockLevels(tx: EntityManager, pairs: { stationId: string; commodityId: string }[]): Promise<void> {
    await tx.query(
      `SELECT 1 FROM stock_levels l
         JOIN jsonb_to_recordset($1::jsonb) AS p("stationId" uuid, "commodityId" uuid)
           ON l.station_id = p."stationId" AND l.commodity_id = p."commodityId"
        ORDER BY l.station_id, l.commodity_id
        FOR UPDATE OF l`,
      [JSON.stringify(pairs)],
    );
  }

  /**
   * Moves quantities between the columns of a station's levels, e.g. `onHand: -1, reserved: -1`
   * for goods leaving a station. Returns the levels after the change.
   */
  async moveStock(
    tx: EntityManager,
    stationId: string,
    lines: LineQuantity[],
    sign: { onHand?: -1 | 0 | 1; reserved?: -1 | 0 | 1; incoming?: -1 | 0 | 1 },
  ): Promise<LevelAfter[]> {
    const [rows] = await tx.query<[LevelAfter[], number]>(
      `UPDATE stock_levels l
          SET on_hand = l.on_hand + $3 * r.quantity,
              reserved = l.reserved + $4 * r.quantity,
              incoming = l.incoming + $5 * r.quantity,
              version = l.version + 1,
              updated_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS r(commodity_id uuid, quantity bigint)
        WHERE l.station_id = $1 AND l.commodity_id = r.commodity_id
        RETURNING l.station_id, l.commodity_id, l.on_hand, l.reserved, l.incoming, r.quantity`,
      [stationId, items(lines), sign.onHand ?? 0, sign.reserved ?? 0, sign.incoming ?? 0],
    );
    return rows;
  }

  /** Shipments whose next step should have happened more than `graceMs` ago. */
  async overdue(manager: EntityManager, graceMs: number, limit: number) {
    return manager.query<{ id: string; status: 'scheduled' | 'in_transit' }[]>(
      `(SELECT id, status FROM shipments
         WHERE status = 'scheduled' AND dispatch_at < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY dispatch_at LIMIT $2)
       UNION ALL
       (SELECT id, status FROM shipments
         WHERE status = 'in_transit' AND eta < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY eta LIMIT $2)`,
      [graceMs, limit],
    );
  }
}

function normalise(row: ShipmentRow): ShipmentRow {
  return { ...row, items: row.items.map((i) => ({ commodityId: i.commodityId, quantity: Number(i.quantity) })) };
}
