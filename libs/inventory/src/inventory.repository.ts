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
  reason: string;
  reference_type: string | null;
  reference_id: string | null;
  actor_id: string | null;
  note: string | null;
  created_at: Date;
}

export interface NewLedgerEntry {
  stationId: string;
  commodityId: string;
  delta: number;
  balanceAfter: number;
  reason: string;
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
   * Changes the volume a station has promised (on hand + incoming + inbound scheduled).
   * An increase is refused (false) when it would pass the station's storage capacity.
   * Takes the station row lock, so callers do it after their level locks.
   */
  async changeCommittedVolume(
    tx: EntityManager,
    stationId: string,
    volumeDelta: MilliM3,
    { enforceCapacity = true } = {},
  ): Promise<boolean> {
    const rows = await preparedQuery(
      tx,
      'stations_commit_volume',
      `UPDATE stations SET committed_volume = committed_volume + $2::numeric
        WHERE id = $1 AND (NOT $3 OR $2::numeric <= 0 OR committed_volume + $2::numeric <= storage_capacity)
        RETURNING id`,
      [stationId, milliToNumeric(volumeDelta), enforceCapacity],
    );
    return rows.length > 0;
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
