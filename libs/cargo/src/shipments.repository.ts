import { pgError, preparedQuery } from '@itn/core';
import { EventLogSignal, type ShipmentStatus } from '@itn/events';
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

export interface NewShipment {
  originStationId: string;
  destinationStationId: string;
  lines: LineQuantity[];
  createdBy: string | null;
  /** The largest volume one shipment may carry, in m³ (numeric text). */
  maxVolume: string;
  speedKmS: number;
  simTimeScale: number;
  loadingMs: number;
  /** The trade the shipment carries, created with it. */
  trade?: { id: string; totalPrice: number; lines: { commodityId: string; quantity: number; unitPrice: number }[] };
}

export type ShipmentRefusalKind =
  'station_not_found' | 'commodity_not_found' | 'volume_exceeded' | 'insufficient_stock' | 'station_capacity';

/** What a refusal of create_shipment() names (its DETAIL); which fields depends on the kind. */
export interface ShipmentRefusalDetail {
  stationId?: string;
  commodityId?: string;
  sku?: string;
  /** The shipment's volume in m³. */
  volume?: number;
}

/** Why create_shipment() refused, with what it said about it. */
export class ShipmentRefusal extends Error {
  constructor(
    readonly kind: ShipmentRefusalKind,
    readonly detail: ShipmentRefusalDetail,
  ) {
    super(`shipment refused: ${kind} ${JSON.stringify(detail)}`);
  }
}

const REFUSALS: Record<string, ShipmentRefusalKind> = {
  ITN_STATION_NOT_FOUND: 'station_not_found',
  ITN_COMMODITY_NOT_FOUND: 'commodity_not_found',
  ITN_VOLUME_EXCEEDED: 'volume_exceeded',
  ITN_INSUFFICIENT_STOCK: 'insufficient_stock',
  ITN_STATION_CAPACITY: 'station_capacity',
};

const SHIPMENT_COLUMNS = `s.id, s.origin_station_id, s.destination_station_id, s.trade_id, s.status, s.volume,
  s.distance_au, s.travel_ms, s.created_by, s.dispatch_at, s.departed_at, s.eta, s.delivered_at, s.failure_reason,
  s.timeline, s.created_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('commodityId', i.commodity_id, 'quantity', i.quantity)
                             ORDER BY i.commodity_id), '[]')
     FROM shipment_items i WHERE i.shipment_id = s.id) AS items`;

/** Lines as the SQL functions take them (reserve_stock, create_shipment, ...). */
const itemRows = (lines: LineQuantity[]) => lines.map((l) => ({ commodity_id: l.commodityId, quantity: l.quantity }));
const items = (lines: LineQuantity[]) => JSON.stringify(itemRows(lines));

/** The SQL of shipments and of the stock they move. Callers hold the transaction. */
@Injectable()
export class ShipmentsRepository {
  constructor(private readonly signal: EventLogSignal) {}

  /**
   * Creates the shipment, and its trade if any, with every check, lock and event, in one
   * statement (create_shipment() in the migrations). A refusal is raised as a ShipmentRefusal.
   */
  async create(tx: EntityManager, s: NewShipment): Promise<ShipmentRow> {
    const params = {
      origin: s.originStationId,
      destination: s.destinationStationId,
      items: itemRows(s.lines),
      created_by: s.createdBy,
      max_volume: s.maxVolume,
      speed_km_s: s.speedKmS,
      time_scale: s.simTimeScale,
      loading_ms: s.loadingMs,
      trade: s.trade ? { id: s.trade.id, total_price: s.trade.totalPrice, lines: s.trade.lines } : null,
    };
    try {
      const [row] = await preparedQuery<ShipmentRow>(
        tx,
        'create_shipment',
        'SELECT * FROM create_shipment($1::jsonb)',
        [JSON.stringify(params)],
      );
      this.signal.written(tx); // create_shipment() writes the shipment's (and trade's) events
      return { ...row, items: [...s.lines].sort((a, b) => (a.commodityId < b.commodityId ? -1 : 1)) };
    } catch (e) {
      const info = pgError(e);
      const refusal = info?.code === 'P0001' && info.detail ? REFUSALS[info.hint ?? ''] : undefined;
      if (refusal) throw new ShipmentRefusal(refusal, JSON.parse(info!.detail!) as ShipmentRefusalDetail);
      throw e;
    }
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
