/**
 * Every event type of the log and the shape of its `data`. The one place that says what
 * the outbox, the Socket.IO gateway and the SSE stream carry.
 */
/** Why a level changed: an adjustment, or a step of a shipment's life seen from its stock. */
export const INVENTORY_CHANGE_REASONS = [
  'adjustment',
  'reservation',
  'reservation_released',
  'shipment_dispatch',
  'shipment_incoming',
  'shipment_delivery',
  'shipment_return',
  'shipment_failed',
] as const;
export type InventoryChangeReason = (typeof INVENTORY_CHANGE_REASONS)[number];

export interface InventoryChangedData {
  stationId: string;
  commodityId: string;
  onHand: number;
  reserved: number;
  available: number;
  incoming: number;
  /** Change of onHand, 0 when only reserved/incoming moved. */
  delta: number;
  reason: InventoryChangeReason;
}

export const SHIPMENT_STATUSES = ['scheduled', 'in_transit', 'delivered', 'cancelled', 'failed'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export interface ShipmentStatusChangedData {
  shipmentId: string;
  tradeId: string | null;
  status: ShipmentStatus;
  previousStatus: ShipmentStatus | null;
  originStationId: string;
  destinationStationId: string;
  /** When the ship leaves (scheduled) and when it arrives (scheduled, in_transit). */
  dispatchAt: string;
  eta: string;
  departedAt: string | null;
  deliveredAt: string | null;
  at: string;
}

export const TRADE_STATUSES = ['pending', 'in_transit', 'completed', 'cancelled', 'failed'] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

export interface TradeLineData {
  commodityId: string;
  quantity: number;
  unitPrice: number;
  /** quantity × unitPrice */
  lineTotal: number;
}

export interface TradeCreatedData {
  transactionId: string;
  status: TradeStatus;
  sellerStationId: string;
  buyerStationId: string;
  items: TradeLineData[];
  totalPrice: number;
  shipmentId: string;
  createdAt: string;
  updatedAt: string;
}

export interface TradeStatusChangedData {
  transactionId: string;
  status: TradeStatus;
  previousStatus: TradeStatus;
  sellerStationId: string;
  buyerStationId: string;
  shipmentId: string;
  at: string;
}

/**
 * A user's access after a change of their role or memberships (written by triggers on users
 * and station_members, whatever made the change). It concerns no station (stationIds is []):
 * every instance applies it to the user's open sockets and streams; admins see it in the log.
 */
export interface AccessChangedData {
  userId: string;
  /** null: the user no longer exists. */
  role: 'admin' | 'trader' | null;
  stationIds: string[];
  at: string;
}

export interface EventDataByType {
  'inventory.changed': InventoryChangedData;
  'shipment.status_changed': ShipmentStatusChangedData;
  'trade.created': TradeCreatedData;
  'trade.status_changed': TradeStatusChangedData;
  'access.changed': AccessChangedData;
}

export type EventType = keyof EventDataByType;

export const EVENT_TYPES: EventType[] = [
  'inventory.changed',
  'shipment.status_changed',
  'trade.created',
  'trade.status_changed',
  'access.changed',
];

export interface NewEvent<T extends EventType = EventType> {
  type: T;
  /** Every station the event concerns; it is delivered to each of their rooms. */
  stationIds: string[];
  data: EventDataByType[T];
}

/** An event as stored and delivered. */
export interface LoggedEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  stationIds: string[];
  occurredAt: string;
  data: EventDataByType[T];
}

/** Helper for building a typed event. */
export function event<T extends EventType>(type: T, stationIds: string[], data: EventDataByType[T]): NewEvent<T> {
  return { type, stationIds, data };
}
