import type { ShipmentRow, ShipmentStatement } from '@itn/cargo';
import { preparedQuery } from '@itn/core';
import type { TradeStatus } from '@itn/events';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface TradeRow {
  id: string;
  seller_station_id: string;
  buyer_station_id: string;
  status: TradeStatus;
  total_price: string;
  shipment_id: string;
  created_at: Date;
  updated_at: Date;
  items: { commodityId: string; quantity: number; unitPrice: number }[];
}

const TRADE_COLUMNS = `t.id, t.seller_station_id, t.buyer_station_id, t.status, t.total_price, t.shipment_id,
  t.created_at, t.updated_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('commodityId', l.commodity_id, 'quantity', l.quantity,
                                                'unitPrice', l.unit_price) ORDER BY l.commodity_id), '[]')
     FROM trade_lines l WHERE l.trade_id = t.id) AS items`;

/** What create_trade() stores beside the shipment: the total and the lines. */
export interface NewTrade {
  totalPrice: number;
  lines: { commodityId: string; quantity: number; unitPrice: number }[];
}

@Injectable()
export class TradesRepository {
  /**
   * The statement that creates the trade, its lines and the shipment that carries them
   * (create_trade(), sql/create-trade.v1.sql, which runs cargo's create_shipment()).
   */
  createStatement(trade: NewTrade): ShipmentStatement {
    return async (tx, params) => {
      const [row] = await preparedQuery<ShipmentRow>(tx, 'create_trade', 'SELECT * FROM create_trade($1::jsonb)', [
        JSON.stringify({ ...params, trade: { total_price: trade.totalPrice, lines: trade.lines } }),
      ]);
      return row;
    };
  }

  async findById(manager: EntityManager, id: string): Promise<TradeRow | undefined> {
    const [row] = await manager.query<TradeRow[]>(`SELECT ${TRADE_COLUMNS} FROM trades t WHERE t.id = $1`, [id]);
    return row ? normalise(row) : undefined;
  }

  async list(
    manager: EntityManager,
    filter: { stationIds: string[] | null; status?: TradeStatus; beforeId?: string; limit: number },
  ): Promise<TradeRow[]> {
    const rows = await manager.query<TradeRow[]>(
      `SELECT ${TRADE_COLUMNS} FROM trades t
        WHERE ($1::uuid[] IS NULL OR t.seller_station_id = ANY($1) OR t.buyer_station_id = ANY($1))
          AND ($2::text IS NULL OR t.status = $2)
          AND ($3::uuid IS NULL OR t.id < $3)
        ORDER BY t.id DESC
        LIMIT $4`,
      [filter.stationIds, filter.status ?? null, filter.beforeId ?? null, filter.limit],
    );
    return rows.map(normalise);
  }

  /** Guarded: changes the trade only while it is in `from`. */
  async transition(tx: EntityManager, id: string, from: TradeStatus, to: TradeStatus) {
    const [rows] = await tx.query<
      [
        { id: string; seller_station_id: string; buyer_station_id: string; shipment_id: string; updated_at: Date }[],
        number,
      ]
    >(
      `UPDATE trades SET status = $3::text, updated_at = now()
        WHERE id = $1 AND status = $2::text
        RETURNING id, seller_station_id, buyer_station_id, shipment_id, updated_at`,
      [id, from, to],
    );
    return rows[0];
  }
}

function normalise(row: TradeRow): TradeRow {
  return {
    ...row,
    items: row.items.map((i) => ({
      commodityId: i.commodityId,
      quantity: Number(i.quantity),
      unitPrice: Number(i.unitPrice),
    })),
  };
}
