import type { EventType, LoggedEvent } from '../event-types';

/** The Socket.IO contract, typed in one place. */
export type ServerToClientEvents = {
  [K in EventType]: (event: LoggedEvent<K>) => void;
} & {
  /** Sent just before the server closes a socket whose access token has expired. */
  'session.expired': (info: { code: 'AUTH.TOKEN_EXPIRED' }) => void;
};

export interface SubscribePayload {
  stationId: string;
  /** The id of the last event the client saw; what it missed is replayed first. */
  after?: string;
}

export type SubscribeAck = { ok: true; replayed?: number } | { ok: false; code: string; message: string };

export interface ClientToServerEvents {
  subscribe: (payload: SubscribePayload, ack?: (result: SubscribeAck) => void) => void;
  unsubscribe: (payload: { stationId: string }, ack?: (result: SubscribeAck) => void) => void;
}

export const stationRoom = (stationId: string) => `station:${stationId}`;
