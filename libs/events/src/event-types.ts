/**
 * Every event type of the log and the shape of its `data`: the one place that says what the
 * outbox, the Socket.IO gateway and the SSE stream carry. Each shape is a runtime description
 * (EVENT_SHAPES) from which its TypeScript type is derived, so that a test can check every
 * payload written, from TypeScript or from SQL, against the same definition.
 */

/** A field of a payload: its kind, one of a list of strings, that or null, or a list of values or objects. */
export type FieldShape =
  | 'uuid'
  | 'integer'
  | 'timestamp'
  | readonly string[]
  | { readonly nullable: FieldShape }
  | { readonly listOf: FieldShape | PayloadShape };
export type PayloadShape = { readonly [field: string]: FieldShape };

type FieldType<F> = F extends 'uuid' | 'timestamp'
  ? string
  : F extends 'integer'
    ? number
    : F extends readonly (infer V)[]
      ? V
      : F extends { readonly nullable: infer N }
        ? FieldType<N> | null
        : F extends { readonly listOf: infer L }
          ? (L extends FieldShape ? FieldType<L> : PayloadType<L>)[]
          : never;
type PayloadType<S> = { -readonly [K in keyof S]: FieldType<S[K]> };

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

export const SHIPMENT_STATUSES = ['scheduled', 'in_transit', 'delivered', 'cancelled', 'failed'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export const TRADE_STATUSES = ['pending', 'in_transit', 'completed', 'cancelled', 'failed'] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

const INVENTORY_CHANGED = {
  stationId: 'uuid',
  commodityId: 'uuid',
  onHand: 'integer',
  reserved: 'integer',
  available: 'integer',
  incoming: 'integer',
  /** Change of onHand, 0 when only reserved/incoming moved. */
  delta: 'integer',
  reason: INVENTORY_CHANGE_REASONS,
} as const;

const SHIPMENT_STATUS_CHANGED = {
  shipmentId: 'uuid',
  tradeId: { nullable: 'uuid' },
  status: SHIPMENT_STATUSES,
  previousStatus: { nullable: SHIPMENT_STATUSES },
  originStationId: 'uuid',
  destinationStationId: 'uuid',
  /** When the ship leaves (scheduled) and when it arrives (scheduled, in_transit). */
  dispatchAt: 'timestamp',
  eta: 'timestamp',
  departedAt: { nullable: 'timestamp' },
  deliveredAt: { nullable: 'timestamp' },
  at: 'timestamp',
} as const;

const TRADE_LINE = {
  commodityId: 'uuid',
  quantity: 'integer',
  unitPrice: 'integer',
  /** quantity × unitPrice */
  lineTotal: 'integer',
} as const;

const TRADE_CREATED = {
  transactionId: 'uuid',
  status: TRADE_STATUSES,
  sellerStationId: 'uuid',
  buyerStationId: 'uuid',
  items: { listOf: TRADE_LINE },
  totalPrice: 'integer',
  shipmentId: 'uuid',
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
} as const;

const TRADE_STATUS_CHANGED = {
  transactionId: 'uuid',
  status: TRADE_STATUSES,
  previousStatus: TRADE_STATUSES,
  sellerStationId: 'uuid',
  buyerStationId: 'uuid',
  shipmentId: 'uuid',
  at: 'timestamp',
} as const;

/**
 * A user's access after a change of their role or memberships (written by triggers on users
 * and station_members, whatever made the change). It concerns no station (stationIds is []):
 * every instance applies it to the user's open sockets and streams; admins see it in the log.
 */
const ACCESS_CHANGED = {
  userId: 'uuid',
  /** null: the user no longer exists. */
  role: { nullable: ['admin', 'trader'] },
  stationIds: { listOf: 'uuid' },
  at: 'timestamp',
} as const;

/** The shape of every event type's data. */
export const EVENT_SHAPES = {
  'inventory.changed': INVENTORY_CHANGED,
  'shipment.status_changed': SHIPMENT_STATUS_CHANGED,
  'trade.created': TRADE_CREATED,
  'trade.status_changed': TRADE_STATUS_CHANGED,
  'access.changed': ACCESS_CHANGED,
} as const satisfies Record<string, PayloadShape>;

export type InventoryChangedData = PayloadType<typeof INVENTORY_CHANGED>;
export type ShipmentStatusChangedData = PayloadType<typeof SHIPMENT_STATUS_CHANGED>;
export type TradeLineData = PayloadType<typeof TRADE_LINE>;
export type TradeCreatedData = PayloadType<typeof TRADE_CREATED>;
export type TradeStatusChangedData = PayloadType<typeof TRADE_STATUS_CHANGED>;
export type AccessChangedData = PayloadType<typeof ACCESS_CHANGED>;

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
