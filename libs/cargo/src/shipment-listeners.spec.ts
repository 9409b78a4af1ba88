import type { NewEvent } from '@itn/events';
import type { EntityManager } from 'typeorm';
import { MissingShipmentListenerError, ShipmentListener, ShipmentListeners } from './shipment-listeners';
import type { ShipmentRow } from './shipments.repository';

describe(ShipmentListeners.name, () => {
  let sut: ShipmentListeners;
  const tx = {} as EntityManager;
  const followed: string[] = [];
  const tradeListener: ShipmentListener = {
    follows: 'trade',
    onTransition: async (_tx, shipment, from) => {
      followed.push(`${shipment.id}:${from}->${shipment.status}`);
      return [{ type: 'trade.status_changed' } as NewEvent];
    },
  };
  const shipment = (tradeId: string | null) => ({ id: 's1', status: 'in_transit', trade_id: tradeId }) as ShipmentRow;

  beforeEach(() => {
    sut = new ShipmentListeners();
    followed.length = 0;
  });

  it('refuses to start without a listener for what shipments carry', () => {
    expect(() => sut.onApplicationBootstrap()).toThrow(MissingShipmentListenerError);
    sut.register(tradeListener);
    expect(() => sut.onApplicationBootstrap()).not.toThrow();
  });

  it('takes one listener per cargo', () => {
    sut.register(tradeListener);
    expect(() => sut.register(tradeListener)).toThrow('already follows');
  });

  it('tells the trade listener of transitions of shipments that carry a trade, and only those', async () => {
    sut.register(tradeListener);
    expect(await sut.onTransition(tx, shipment('t1'), 'scheduled')).toEqual([{ type: 'trade.status_changed' }]);
    expect(await sut.onTransition(tx, shipment(null), 'scheduled')).toEqual([]);
    expect(followed).toEqual(['s1:scheduled->in_transit']);
  });
});
