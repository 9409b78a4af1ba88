import { SocketWriteBatching } from '@itn/events';
import { Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import {
  allowWrites,
  holdWrites,
  idleWebSocketTransport,
  sendBuffered,
  type WebSocketTransport,
} from './engine-io-internals';

/**
 * Sends what a Socket.IO socket is given in one turn of the event loop in one write.
 *
 * engine.io writes every packet as a WebSocket frame of its own, with a write of its own, and
 * while one is in flight it buffers the next ones, to write them one by one as well. A batch of
 * the log's events cost one system call per event and subscriber, each waking the subscriber.
 * A socket held here looks busy to engine.io until the end of the turn, so that the turn's
 * packets wait in its buffer, in order; then they are sent with the TCP socket corked, in one
 * write. Only WebSocket transports with no write in flight are held; anything else is left to
 * engine.io as it is. (bench/README.md, item 9: about 30 frames per trade to its subscribers.)
 */
@Injectable()
export class SocketBursts extends SocketWriteBatching {
  private readonly held = new Set<WebSocketTransport>();

  /** Holds back what `socket` is sent from now until the end of this turn of the event loop. */
  hold(socket: Socket | undefined): void {
    const transport = idleWebSocketTransport(socket);
    if (!transport) return;
    holdWrites(transport);
    this.held.add(transport);
    if (this.held.size === 1) process.nextTick(() => this.release());
  }

  private release(): void {
    const held = [...this.held];
    this.held.clear();
    // Writable again first, all of them, whatever happens while sending.
    for (const transport of held) allowWrites(transport);
    for (const transport of held) sendBuffered(transport);
  }
}
