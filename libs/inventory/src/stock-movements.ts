import { event, type InventoryChangeReason, type NewEvent } from '@itn/events';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InventoryRepository, LedgerReason, LevelAfter, LineQuantity, NewLedgerEntry } from './inventory.repository';
import { numericToMilli } from './volume';

/** Goods promised or moving from one station to another (a shipment, seen from its stock). */
export interface GoodsInTransit {
  /** What moves them: the shipment, named in the ledger rows. */
  shipmentId: string;
  originStationId: string;
  destinationStationId: string;
  items: LineQuantity[];
  /** Their volume in m³, as PostgreSQL's numeric text ("12.345"). */
  volume: string;
}

/** The inventory.changed event of a level after a movement. */
export function levelChanged(
  l: LevelAfter,
  delta: number,
  reason: InventoryChangeReason,
): NewEvent<'inventory.changed'> {
  const onHand = Number(l.on_hand);
  const reserved = Number(l.reserved);
  return event('inventory.changed', [l.station_id], {
    stationId: l.station_id,
    commodityId: l.commodity_id,
    onHand,
    reserved,
    available: onHand - reserved,
    incoming: Number(l.incoming),
    delta,
    reason,
  });
}

/**
 * The stock side of a shipment's life, each movement inside the caller's transaction: levels
 * locked in the global order (station, commodity) first, the station rows (committed volume)
 * after them, a ledger row for every change of on hand. Each returns its inventory.changed
 * events, which the caller appends with its own in the same transaction. The reservation that
 * starts it all is inventory_reserve() (sql/stock.v1.sql), which create_shipment() runs.
 */
@Injectable()
export class StockMovements {
  constructor(private readonly repository: InventoryRepository) {}

  /** A reservation given up (cancelled or failed before departure): reserved drops, the room is given back. */
  async release(tx: EntityManager, goods: GoodsInTransit): Promise<NewEvent[]> {
    const origin = goods.originStationId;
    await this.repository.lockLevels(tx, this.pairs(origin, goods.items));
    const released = await this.repository.moveStock(tx, origin, goods.items, { reserved: -1 });
    await this.repository.changeCommittedVolume(tx, goods.destinationStationId, -numericToMilli(goods.volume));
    return released.map((l) => levelChanged(l, 0, 'reservation_released'));
  }

  /** Departure: the goods leave the origin (on hand and reserved drop) and become incoming at the destination. */
  async dispatch(tx: EntityManager, goods: GoodsInTransit): Promise<NewEvent[]> {
    const { originStationId: origin, destinationStationId: destination } = goods;
    await this.repository.lockLevels(tx, [...this.pairs(origin, goods.items), ...this.pairs(destination, goods.items)]);
    const left = await this.repository.moveStock(tx, origin, goods.items, { onHand: -1, reserved: -1 });
    const coming = await this.repository.moveStock(tx, destination, goods.items, { incoming: 1 });
    await this.repository.changeCommittedVolume(tx, origin, -numericToMilli(goods.volume));
    await this.ledger(tx, left, -1, 'shipment_dispatch', goods.shipmentId);
    return [
      ...left.map((l) => levelChanged(l, -Number(l.quantity), 'shipment_dispatch')),
      ...coming.map((l) => levelChanged(l, 0, 'shipment_incoming')),
    ];
  }

  /** Arrival: the incoming goods join the destination's stock on hand. */
  async deliver(tx: EntityManager, goods: GoodsInTransit): Promise<NewEvent[]> {
    const destination = goods.destinationStationId;
    await this.repository.lockLevels(tx, this.pairs(destination, goods.items));
    const arrived = await this.repository.moveStock(tx, destination, goods.items, { onHand: 1, incoming: -1 });
    await this.ledger(tx, arrived, 1, 'shipment_delivery', goods.shipmentId);
    return arrived.map((l) => levelChanged(l, Number(l.quantity), 'shipment_delivery'));
  }

  /**
   * Goods in transit that will not arrive go back to the origin. The origin had room for them
   * when they left and may now be over capacity, which only blocks new inbound cargo.
   */
  async returnToOrigin(tx: EntityManager, goods: GoodsInTransit): Promise<NewEvent[]> {
    const { originStationId: origin, destinationStationId: destination } = goods;
    await this.repository.lockLevels(tx, [...this.pairs(origin, goods.items), ...this.pairs(destination, goods.items)]);
    const returned = await this.repository.moveStock(tx, origin, goods.items, { onHand: 1 });
    const notComing = await this.repository.moveStock(tx, destination, goods.items, { incoming: -1 });
    const volume = numericToMilli(goods.volume);
    await this.repository.changeCommittedVolume(tx, destination, -volume);
    await this.repository.changeCommittedVolume(tx, origin, volume, { enforceCapacity: false });
    await this.ledger(tx, returned, 1, 'shipment_return', goods.shipmentId);
    return [
      ...returned.map((l) => levelChanged(l, Number(l.quantity), 'shipment_return')),
      ...notComing.map((l) => levelChanged(l, 0, 'shipment_failed')),
    ];
  }

  private pairs(stationId: string, items: LineQuantity[]) {
    return items.map((i) => ({ stationId, commodityId: i.commodityId }));
  }

  private ledger(tx: EntityManager, levels: LevelAfter[], sign: 1 | -1, reason: LedgerReason, shipmentId: string) {
    return this.repository.appendLedgerMany(
      tx,
      levels.map((l): NewLedgerEntry => ({
        stationId: l.station_id,
        commodityId: l.commodity_id,
        delta: sign * Number(l.quantity),
        balanceAfter: Number(l.on_hand),
        reason,
        referenceType: 'shipment',
        referenceId: shipmentId,
      })),
    );
  }
}
