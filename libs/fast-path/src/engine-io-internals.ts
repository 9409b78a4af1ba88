import type { Socket as TcpSocket } from 'node:net';
import type { Socket } from 'socket.io';

/**
 * Every use of engine.io's internals (and of ws's, which engine.io's WebSocket transport is
 * built on) is in this file, and engine-io-internals.spec.ts fails, naming what changed, when
 * an upgrade changes one of them. What it relies on: a Socket.IO socket's `conn.transport` is
 * engine.io's transport, named `websocket` for WebSockets; it is `writable` while no write is in
 * flight (engine.io buffers packets while it is not) and emits `ready` when it becomes writable
 * again, upon which engine.io sends what it buffered; its `socket` is the ws WebSocket, whose
 * `_socket` is the TCP socket.
 */
export interface WebSocketTransport {
  readonly name: string;
  writable: boolean;
  emit(event: 'ready'): boolean;
  readonly socket?: { readonly _socket?: TcpSocket };
}

/** The socket's WebSocket transport when it has no write in flight, else undefined. */
export function idleWebSocketTransport(socket: Socket | undefined): WebSocketTransport | undefined {
  const transport = socket?.conn.transport as unknown as WebSocketTransport | undefined;
  return transport?.name === 'websocket' && transport.writable ? transport : undefined;
}

/** Makes engine.io buffer what the transport is sent, as it does while a write is in flight. */
export function holdWrites(transport: WebSocketTransport): void {
  transport.writable = false;
}

/** Lets engine.io write to the transport again (what it buffered waits for sendBuffered). */
export function allowWrites(transport: WebSocketTransport): void {
  transport.writable = true;
}

/** Has engine.io send what it buffered for the transport, with the TCP socket corked: in one write. */
export function sendBuffered(transport: WebSocketTransport): void {
  const tcp = tcpSocketOf(transport);
  tcp?.cork();
  try {
    transport.emit('ready');
  } finally {
    tcp?.uncork();
  }
}

/** The TCP socket under a WebSocket transport. */
export function tcpSocketOf(transport: WebSocketTransport): TcpSocket | undefined {
  return transport.socket?._socket;
}
