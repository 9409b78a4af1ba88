import type { ShipmentStatus, TradeStatus } from '@itn/events';

/**
 * How a trade follows the shipment that carries it: when the shipment reaches a status, the
 * trade moves from one of `from` to `to`. A shipment's other statuses leave the trade as it is.
 */
const FOLLOWS: Partial<Record<ShipmentStatus, { from: readonly TradeStatus[]; to: TradeStatus }>> = {
  in_transit: { from: ['pending'], to: 'in_transit' },
  delivered: { from: ['in_transit'], to: 'completed' },
  cancelled: { from: ['pending'], to: 'cancelled' },
  failed: { from: ['pending', 'in_transit'], to: 'failed' },
};

/** The trade's move when its shipment reaches `status`, if that moves it. */
export function tradeFollowing(status: ShipmentStatus): { from: readonly TradeStatus[]; to: TradeStatus } | undefined {
  return FOLLOWS[status];
}
