import type { Socket } from 'socket.io';

/**
 * What this relies on of engine.io's WebSocket transport: it is `writable` while no write is
 * in flight, and emits `ready` when it becomes writable again, upon which its engine.io socket
 * sends what it buffered meanwhile. Its `socket` is the ws WebSocket, whose `_socket` is the
 * TCP socket.
 */
interface WebSocketTransport {
  readonly name: string;
  writable: boolean;
  emit(event: 'ready'): boolean;
  readonly socket?: { readonly _socket?: { cork(): void; uncork(): void } };
}

/**
 * Sends what a Socket.IO socket is given in one turn of the event loop in one write.
 *
 * engine.io writes every packet as a WebSocket frame of its own, with a write of its own, and
 * while one is in flight it buffers the next ones, to write them one by one as well. A batch of
 * the log's events cost one system call per event and subscriber, each waking the subscriber.
 * A socket held here looks busy to engine.io until the end of the turn, so that the turn's
 * packets wait in its buffer, in order; then they are sent with the TCP socket corked, in one
 * write. Only WebSocket transports with no write in flight are held; anything else is left to
 * engine.io as it is.
 */
export class SocketBursts {
  private readonly held = new Set<WebSocketTransport>();

  /** Holds back what `socket` is sent from now until the end of this turn of the event loop. */
  hold(socket: Socket | undefined): void {
    const transport = socket?.conn.transport as unknown as WebSocketTransport | undefined;
    if (transport?.name !== 'websocket' || !transport.writable) return;
    transport.writable = false;
    this.held.add(transport);
    if (this.held.size === 1) process.nextTick(() => this.release());
  }

  private release(): void {
    const held = [...this.held];
    this.held.clear();
    // Writable again first, all of them, whatever happens while sending.
    for (const transport of held) transport.writable = true;
    for (const transport of held) {
      const tcp = transport.socket?._socket;
      tcp?.cork();
      try {
        transport.emit('ready');
      } finally {
        tcp?.uncork();
      }
    }
  }
}
