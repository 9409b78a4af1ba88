import { Injectable } from '@nestjs/common';
import { preparedQuery } from '@itn/core';
import { DataSource, EntityManager } from 'typeorm';
import { MilliM3, milliToNumeric } from './volume';

export interface LevelRow {
  station_id: string;
  commodity_id: string;
  on_hand: string;
  reserved: string;
  incoming: string;
}

/** One line of goods: a commodity and a quantity. */
export interface LineQuantity {
  commodityId: string;
  quantity: number;
}

/** A level after a movement, with the quantity of the line that moved it. */
export interface LevelAfter extends LevelRow {
  quantity: string;
}

/** Lines as the SQL functions take them (inventory_reserve, create_shipment, ...). */
export const lineRows = (lines: LineQuantity[]) =>
  lines.map((l) => ({ commodity_id: l.commodityId, quantity: l.quantity }));

export interface InventoryRow {
  commodity_id: string | null;
  sku: string | null;
  name: string | null;
  on_hand: string | null;
  reserved: string | null;
  incoming: string | null;
  version: string | null;
  updated_at: Date | null;
}

export interface LedgerRow {
  id: string;
  station_id: string;
  commodity_id: string;
  delta: string;
  balance_after: string;
  reason: LedgerReason;
  reference_type: string | null;
  reference_id: string | null;
  actor_id: string | null;
  note: string | null;
  created_at: Date;
}

/** Why on_hand changed; the ledger's CHECK constraint allows these and no others. */
export type LedgerReason = 'adjustment' | 'shipment_dispatch' | 'shipment_delivery' | 'shipment_return';

export interface NewLedgerEntry {
  stationId: string;
  commodityId: string;
  delta: number;
  balanceAfter: number;
  reason: LedgerReason;
  referenceType?: string;
  referenceId?: string;
  actorId?: string;
  note?: string;
}

/** The SQL of stock levels and the ledger; every change is one conditional statement. */
@Injectable()
export class InventoryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The station's levels with their commodities in one round trip; no rows when the station does not exist. */
  findStationInventory(stationId: string): Promise<InventoryRow[]> {
    return this.dataSource.query<InventoryRow[]>(
      `SELECT c.id AS commodity_id, c.sku, c.name, l.on_hand, l.reserved, l.incoming, l.version, l.updated_at
         FROM stations s
         LEFT JOIN stock_levels l ON l.station_id = s.id
         LEFT JOIN commodities c ON c.id = l.commodity_id
        WHERE s.id = $1
        ORDER BY c.sku`,
      [stationId],
    );
  }

  /**
   * Adds to on_hand, creating the level if needed. Returns the new level, or nothing when
   * the result would fall below what is reserved (or below zero for a new level).
   */
  async applyDelta(
    tx: EntityManager,
    stationId: string,
    commodityId: string,
    delta: number,
  ): Promise<LevelRow | undefined> {
    if (delta > 0) {
      const rows = await tx.query<LevelRow[]>(
        `INSERT INTO stock_levels AS l (station_id, commodity_id, on_hand)
         VALUES ($1, $2, $3)
         ON CONFLICT (station_id, commodity_id) DO UPDATE
            SET on_hand = l.on_hand + EXCLUDED.on_hand, version = l.version + 1, updated_at = now()
         RETURNING station_id, commodity_id, on_hand, reserved, incoming`,
        [stationId, commodityId, delta],
      );
      return rows[0];
    }
    const [rows] = await tx.query<[LevelRow[], number]>(
      `UPDATE stock_levels
          SET on_hand = on_hand + $3, version = version + 1, updated_at = now()
        WHERE station_id = $1 AND commodity_id = $2 AND on_hand + $3 >= reserved
        RETURNING station_id, commodity_id, on_hand, reserved, incoming`,
      [stationId, commodityId, delta],
    );
    return rows[0];
  }

  async appendLedger(tx: EntityManager, entry: NewLedgerEntry): Promise<LedgerRow> {
    const [row] = await tx.query<LedgerRow[]>(
      `INSERT INTO stock_ledger
         (station_id, commodity_id, delta, balance_after, reason, reference_type, reference_id, actor_id, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING *`,
      [
        entry.stationId,
        entry.commodityId,
        entry.delta,
        entry.balanceAfter,
        entry.reason,
        entry.referenceType ?? null,
        entry.referenceId ?? null,
        entry.actorId ?? null,
        entry.note ?? null,
      ],
    );
    return row;
  }

  /** Appends several ledger rows in one statement. */
  async appendLedgerMany(tx: EntityManager, entries: NewLedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await tx.query(
      `INSERT INTO stock_ledger
         (station_id, commodity_id, delta, balance_after, reason, reference_type, reference_id, actor_id, note)
       SELECT e."stationId", e."commodityId", e.delta, e."balanceAfter", e.reason, e."referenceType", e."referenceId",
              e."actorId", e.note
         FROM jsonb_to_recordset($1::jsonb) AS e("stationId" uuid, "commodityId" uuid, delta bigint,
              "balanceAfter" bigint, reason text, "referenceType" text, "referenceId" uuid, "actorId" uuid, note text)`,
      [JSON.stringify(entries)],
    );
  }

  /**
   * Changes the volume a station has promised (on hand + incoming + inbound scheduled) by the
   * capacity rule, inventory_commit_volume() (sql/stock.v1.sql): an increase is refused (false)
   * when it would pass the station's storage capacity, unless `enforceCapacity` is false. Takes
   * the station row lock, so callers do it after their level locks.
   */
  async changeCommittedVolume(
    tx: EntityManager,
    stationId: string,
    volumeDelta: MilliM3,
    { enforceCapacity = true } = {},
  ): Promise<boolean> {
    const [row] = await preparedQuery<{ committed: boolean }>(
      tx,
      'inventory_commit_volume',
      'SELECT inventory_commit_volume($1, $2::numeric, $3) AS committed',
      [stationId, milliToNumeric(volumeDelta), enforceCapacity],
    );
    return row.committed;
  }

  /** Locks the levels in one global order, (station, commodity), so no two movements can deadlock. */
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
      [stationId, JSON.stringify(lineRows(lines)), sign.onHand ?? 0, sign.reserved ?? 0, sign.incoming ?? 0],
    );
    return rows;
  }

  /** Whether the station and the commodity exist (for telling 404 from 409 after a refused change). */
  async existence(
    stationId: string,
    commodityId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ station: boolean; commodity: boolean }> {
    const [row] = await manager.query<{ station: boolean; commodity: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM stations WHERE id = $1) AS station,
              EXISTS (SELECT 1 FROM commodities WHERE id = $2) AS commodity`,
      [stationId, commodityId],
    );
    return row;
  }

  findLedger(stationId: string, commodityId: string | undefined, beforeId: string | undefined, limit: number) {
    return this.dataSource.query<LedgerRow[]>(
      `SELECT * FROM stock_ledger
        WHERE station_id = $1
          AND ($2::uuid IS NULL OR commodity_id = $2)
          AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC
        LIMIT $4`,
      [stationId, commodityId ?? null, beforeId ?? null, limit],
    );
  }
}
