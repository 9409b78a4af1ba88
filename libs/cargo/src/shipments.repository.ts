import { preparedQuery } from '@itn/core';
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

/** The parameters of create_shipment() (sql/create-shipment.v2.sql), as it reads them. */
export interface ShipmentParams {
  origin: string;
  destination: string;
  items: { commodity_id: string; quantity: number }[];
  created_by: string | null;
  /** The trade the shipment carries (stored by the trades feature in the same statement). */
  trade_id: string | null;
  /** The largest volume one shipment may carry, in m³ (numeric text). */
  max_volume: string;
  speed_km_s: number;
  time_scale: number;
  loading_ms: number;
}

/**
 * The statement that creates a shipment: create_shipment() itself, or a feature's function that
 * runs it inside its own (create_trade()). Its refusals are create_shipment()'s.
 */
export type ShipmentStatement = (tx: EntityManager, params: ShipmentParams) => Promise<ShipmentRow>;

const SHIPMENT_COLUMNS = `s.id, s.origin_station_id, s.destination_station_id, s.trade_id, s.status, s.volume,
  s.distance_au, s.travel_ms, s.created_by, s.dispatch_at, s.departed_at, s.eta, s.delivered_at, s.failure_reason,
  s.timeline, s.created_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('commodityId', i.commodity_id, 'quantity', i.quantity)
                             ORDER BY i.commodity_id), '[]')
     FROM shipment_items i WHERE i.shipment_id = s.id) AS items`;

/** The SQL of shipments. Callers hold the transaction. */
@Injectable()
export class ShipmentsRepository {
  /** Creates the shipment, with every check, lock and event, in one statement (create_shipment()). */
  readonly create: ShipmentStatement = async (tx, params) => {
    const [row] = await preparedQuery<ShipmentRow>(tx, 'create_shipment', 'SELECT * FROM create_shipment($1::jsonb)', [
      JSON.stringify(params),
    ]);
    return row;
  };

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
