import { eventDataFaults } from './event-shape-check';

describe(eventDataFaults.name, () => {
  const level = {
    stationId: '01900000-0000-7000-8000-000000000001',
    commodityId: '01900000-0000-7000-8000-000000000002',
    onHand: 5,
    reserved: 1,
    available: 4,
    incoming: 0,
    delta: 0,
    reason: 'reservation',
  };

  it('accepts data that matches its shape exactly', () => {
    expect(eventDataFaults('inventory.changed', level)).toEqual([]);
  });

  it('names missing, extra and mistyped fields', () => {
    const { delta: _delta, ...noDelta } = level;
    expect(eventDataFaults('inventory.changed', { ...noDelta, extra: 1, onHand: '5', reason: 'stolen' })).toEqual([
      'inventory.changed.delta: missing',
      'inventory.changed.extra: not in the shape',
      'inventory.changed.onHand: "5" is not a integer',
      expect.stringContaining('inventory.changed.reason: "stolen" is not one of adjustment'),
    ]);
  });

  it('checks nullable fields, timestamps as toISOString writes them, and lists of objects', () => {
    const trade = {
      transactionId: level.stationId,
      status: 'pending',
      sellerStationId: level.stationId,
      buyerStationId: level.commodityId,
      items: [{ commodityId: level.commodityId, quantity: 2, unitPrice: 3, lineTotal: 6 }],
      totalPrice: 6,
      shipmentId: level.commodityId,
      createdAt: '2026-12-08T01:02:03.004Z',
      updatedAt: '2026-12-08T01:02:03.004Z',
    };
    expect(eventDataFaults('trade.created', trade)).toEqual([]);
    expect(eventDataFaults('trade.created', { ...trade, createdAt: '2026-12-08 01:02:03+00', items: [{}] })).toEqual(
      expect.arrayContaining([
        'trade.created.createdAt: "2026-12-08 01:02:03+00" is not a timestamp',
        'trade.created.items.0.commodityId: missing',
      ]),
    );
    expect(
      eventDataFaults('access.changed', { userId: level.stationId, role: null, stationIds: [], at: trade.createdAt }),
    ).toEqual([]);
    expect(eventDataFaults('nope', {})).toEqual(['nope: not an event type']);
  });
});
