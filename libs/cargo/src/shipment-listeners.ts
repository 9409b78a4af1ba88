import type { NewEvent, ShipmentStatus } from '@itn/events';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ShipmentRow } from './shipments.repository';

/** What a shipment can carry besides goods: a trade (shipments.trade_id). */
export type ShipmentCargo = 'trade';
const CARGOS: ShipmentCargo[] = ['trade'];

/** A feature that follows the shipments carrying its records, in the transaction of each transition. */
export interface ShipmentListener {
  readonly follows: ShipmentCargo;
  /** The listener's own changes for the transition `from` -> `shipment.status`; returns their events. */
  onTransition(tx: EntityManager, shipment: ShipmentRow, from: ShipmentStatus): Promise<NewEvent[]>;
}

export class MissingShipmentListenerError extends Error {
  constructor(cargo: ShipmentCargo) {
    super(
      `No listener follows shipments that carry a ${cargo}: a process that moves shipments needs the ` +
        `${cargo}s feature's module too, or their ${cargo}s would stop following them`,
    );
  }
}

/**
 * The features that follow shipments (trades follow the shipment that carries them). Each
 * registers once; a process that moves shipments refuses to start without a listener for
 * everything a shipment can carry, since a missing one would break no statement, only the books.
 */
@Injectable()
export class ShipmentListeners implements OnApplicationBootstrap {
  private readonly listeners = new Map<ShipmentCargo, ShipmentListener>();

  register(listener: ShipmentListener): void {
    if (this.listeners.has(listener.follows)) {
      throw new Error(`A listener already follows shipments that carry a ${listener.follows}`);
    }
    this.listeners.set(listener.follows, listener);
  }

  onApplicationBootstrap(): void {
    for (const cargo of CARGOS) if (!this.listeners.has(cargo)) throw new MissingShipmentListenerError(cargo);
  }

  /** Every listener's events for this transition, in the caller's transaction. */
  async onTransition(tx: EntityManager, shipment: ShipmentRow, from: ShipmentStatus): Promise<NewEvent[]> {
    const listener = shipment.trade_id ? this.listeners.get('trade') : undefined;
    return listener ? listener.onTransition(tx, shipment, from) : [];
  }
}
