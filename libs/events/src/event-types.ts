/**
 * Every event type of the log and the shape of its `data`. The one place that says what
 * the outbox, the Socket.IO gateway and the SSE stream carry.
 */
export interface InventoryChangedData {
  stationId: string;
  commodityId: string;
  onHand: number;
  reserved: number;
  available: number;
  incoming: number;
  /** Change of onHand, 0 when only reserved/incoming moved. */
  delta: number;
  reason: string;
}

export interface EventDataByType {
  'inventory.changed': InventoryChangedData;
}

export type EventType = keyof EventDataByType;

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
