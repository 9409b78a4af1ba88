import { ConflictError, decodeCursor, NotFoundError, Page, pgError, PgErrorCode, toPage } from '@itn/core';
import { EventLogWriter } from '@itn/events';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  AdjustmentDto,
  AdjustmentResultDto,
  InventoryDto,
  LedgerEntryDto,
  LedgerQueryDto,
  StockItemDto,
} from './dto/inventory.dto';
import { CachedInventory, InventoryCache } from './inventory-cache';
import { InventoryRepository, LedgerRow, LevelRow } from './inventory.repository';
import { volumeOf } from './volume';

export class InsufficientStockError extends ConflictError {
  constructor(details: {
    stationId: string;
    commodityId: string;
    sku?: string;
    requested?: number;
    available?: number;
  }) {
    super(
      'INVENTORY.INSUFFICIENT_STOCK',
      `Not enough available stock of ${details.sku ?? details.commodityId} at station ${details.stationId}`,
      details,
    );
  }
}

export class StationCapacityError extends ConflictError {
  constructor(stationId: string) {
    super('STATION.CAPACITY_EXCEEDED', `Station ${stationId} has no room for this much cargo`, { stationId });
  }
}

export type InventorySnapshot = CachedInventory;

export function toLedgerEntryDto(r: LedgerRow): LedgerEntryDto {
  return {
    id: r.id,
    stationId: r.station_id,
    commodityId: r.commodity_id,
    delta: Number(r.delta),
    balanceAfter: Number(r.balance_after),
    reason: r.reason,
    referenceType: r.reference_type,
    referenceId: r.reference_id,
    actorId: r.actor_id,
    note: r.note,
    createdAt: r.created_at,
  };
}

function levelNumbers(l: Pick<LevelRow, 'on_hand' | 'reserved' | 'incoming'>) {
  const onHand = Number(l.on_hand);
  const reserved = Number(l.reserved);
  return { onHand, reserved, available: onHand - reserved, incoming: Number(l.incoming) };
}

@Injectable()
export class InventoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: InventoryRepository,
    private readonly events: EventLogWriter,
    private readonly cache: InventoryCache,
  ) {}

  /** The station's inventory, serialized, with a strong ETag that changes whenever any level changes. */
  async getInventory(stationId: string): Promise<InventorySnapshot> {
    const cached = this.cache.get(stationId);
    if (cached) return cached;
    const generation = this.cache.generationOf(stationId);
    const snapshot = await this.readInventory(stationId);
    this.cache.set(stationId, generation, snapshot);
    return snapshot;
  }

  private async readInventory(stationId: string): Promise<InventorySnapshot> {
    const rows = await this.repository.findStationInventory(stationId);
    if (rows.length === 0) throw new NotFoundError('CATALOG.STATION_NOT_FOUND', `Station ${stationId} does not exist`);
    const items: StockItemDto[] = [];
    let versionSum = 0;
    let updatedAt: Date | null = null;
    for (const r of rows) {
      if (r.commodity_id === null) continue; // a station without any level yet
      items.push({
        commodityId: r.commodity_id,
        sku: r.sku!,
        name: r.name!,
        ...levelNumbers({ on_hand: r.on_hand!, reserved: r.reserved!, incoming: r.incoming! }),
      });
      versionSum += Number(r.version);
      if (!updatedAt || r.updated_at! > updatedAt) updatedAt = r.updated_at;
    }
    // Versions only grow and levels are never deleted, so (count, sum of versions) changes on every change.
    const body: InventoryDto = { stationId, items, updatedAt: updatedAt?.toISOString() ?? null };
    return {
      body: Buffer.from(JSON.stringify(body), 'utf8'),
      etag: `"${items.length.toString(36)}-${versionSum.toString(36)}"`,
    };
  }

  /**
   * Changes on hand by `dto.delta` (never below what is reserved), with its ledger row and event,
   * and the station's committed volume by the capacity rule. By `actorId` (null: the system);
   * within `within` when given (the demo seed), else in a transaction of its own.
   */
  async adjust(
    actorId: string | null,
    stationId: string,
    dto: AdjustmentDto,
    within?: EntityManager,
  ): Promise<AdjustmentResultDto> {
    const inTransaction = <T>(work: (tx: EntityManager) => Promise<T>) =>
      within ? work(within) : this.dataSource.transaction(work);
    try {
      const result = await inTransaction(async (tx) => {
        const [commodity] = await tx.query<{ sku: string; name: string; unit_volume: string }[]>(
          'SELECT sku, name, unit_volume FROM commodities WHERE id = $1',
          [dto.commodityId],
        );
        if (!commodity)
          throw new NotFoundError('CATALOG.COMMODITY_NOT_FOUND', `Commodity ${dto.commodityId} does not exist`);
        const level = await this.repository.applyDelta(tx, stationId, dto.commodityId, dto.delta);
        if (!level) throw await this.refusal(stationId, dto, tx);
        if (!(await this.repository.changeCommittedVolume(tx, stationId, volumeOf(dto.delta, commodity.unit_volume)))) {
          throw new StationCapacityError(stationId);
        }
        const numbers = levelNumbers(level);
        const entry = await this.repository.appendLedger(tx, {
          stationId,
          commodityId: dto.commodityId,
          delta: dto.delta,
          balanceAfter: numbers.onHand,
          reason: 'adjustment',
          actorId: actorId ?? undefined,
          note: dto.reason,
        });
        await this.events.append(tx, [
          {
            type: 'inventory.changed',
            stationIds: [stationId],
            data: { stationId, commodityId: dto.commodityId, ...numbers, delta: dto.delta, reason: 'adjustment' },
          },
        ]);
        return {
          level: { commodityId: dto.commodityId, sku: commodity.sku, name: commodity.name, ...numbers },
          ledgerEntry: toLedgerEntryDto(entry),
        };
      });
      // Read-your-writes on this instance; other instances learn of it from the event log.
      this.cache.invalidate(stationId);
      return result;
    } catch (e) {
      if (pgError(e)?.code === PgErrorCode.ForeignKeyViolation) throw await this.refusal(stationId, dto);
      throw e;
    }
  }

  async ledger(stationId: string, query: LedgerQueryDto): Promise<Page<LedgerEntryDto>> {
    const before = decodeCursor(query.cursor, 'bigint');
    const rows = await this.repository.findLedger(stationId, query.commodityId, before, query.limit + 1);
    return toPage(rows, query.limit, (r) => r.id, toLedgerEntryDto);
  }

  /** Why a change was refused: a missing station or commodity (404), or not enough stock (409). */
  private async refusal(stationId: string, dto: AdjustmentDto, tx?: EntityManager): Promise<Error> {
    const exists = await this.repository.existence(stationId, dto.commodityId, tx);
    if (!exists.station) return new NotFoundError('CATALOG.STATION_NOT_FOUND', `Station ${stationId} does not exist`);
    if (!exists.commodity) {
      return new NotFoundError('CATALOG.COMMODITY_NOT_FOUND', `Commodity ${dto.commodityId} does not exist`);
    }
    return new InsufficientStockError({ stationId, commodityId: dto.commodityId, requested: -dto.delta });
  }
}
