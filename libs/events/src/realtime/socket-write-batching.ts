import type { Socket } from 'socket.io';

/**
 * Holds back what a socket is sent until the end of the current turn of the event loop, to
 * send it in one write (provided by @itn/fast-path, behind FAST_PATHS). Without it, Socket.IO
 * writes every packet as it comes; what a socket receives, and in which order, is the same.
 */
export abstract class SocketWriteBatching {
  abstract hold(socket: Socket | undefined): void;
}
