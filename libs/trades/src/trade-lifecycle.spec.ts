import { SHIPMENT_STATUSES } from '@itn/events';
import { tradeFollowing } from './trade-lifecycle';

describe(tradeFollowing.name, () => {
  it('moves a trade along with its shipment', () => {
    expect(tradeFollowing('in_transit')).toEqual({ from: ['pending'], to: 'in_transit' });
    expect(tradeFollowing('delivered')).toEqual({ from: ['in_transit'], to: 'completed' });
    expect(tradeFollowing('cancelled')).toEqual({ from: ['pending'], to: 'cancelled' });
  });

  it('fails the trade with its shipment, before or after departure', () => {
    expect(tradeFollowing('failed')).toEqual({ from: ['pending', 'in_transit'], to: 'failed' });
  });

  it('leaves the trade as it is while its shipment is only scheduled', () => {
    expect(tradeFollowing('scheduled')).toBeUndefined();
  });

  it('never moves a trade out of an end state, nor into one it was already in', () => {
    for (const status of SHIPMENT_STATUSES) {
      const move = tradeFollowing(status);
      if (!move) continue;
      expect(move.from).not.toContain(move.to);
      for (const end of ['completed', 'cancelled', 'failed'] as const) expect(move.from).not.toContain(end);
    }
  });
});
