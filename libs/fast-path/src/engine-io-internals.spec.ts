import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { allowWrites, holdWrites, idleWebSocketTransport, sendBuffered, tcpSocketOf } from './engine-io-internals';
import { SocketBursts } from './socket-bursts';

/**
 * What engine-io-internals.ts relies on of engine.io (and of ws under it), on a real Socket.IO
 * server and client. When one of these fails after an upgrade of socket.io, engine.io or ws,
 * the adapter (and SocketBursts with it) must be brought in line with the new release, or
 * FAST_PATHS turned off until it is.
 */
describe('engine.io internals used by @itn/fast-path', () => {
  let http: HttpServer;
  let server: Server;
  let client: ClientSocket;
  let serverSocket: Socket;
  const received: number[] = [];

  beforeAll(async () => {
    http = createServer();
    server = new Server(http, { transports: ['websocket'] });
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    client = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] });
    client.on('n', (n: number) => received.push(n));
    serverSocket = await connected;
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  const loudly = (what: string, check: () => void) => {
    try {
      check();
    } catch (e) {
      throw new Error(`engine.io changed what engine-io-internals.ts relies on: ${what}\n${(e as Error).message}`, {
        cause: e,
      });
    }
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  /** Sends n packets and counts the writes that reach the TCP socket until they are all received. */
  const writesFor = async (send: () => void, count: number) => {
    await settle();
    received.length = 0;
    const tcp = tcpSocketOf(idleWebSocketTransport(serverSocket)!)!;
    const spies = [jest.spyOn(tcp, '_write' as never), jest.spyOn(tcp, '_writev' as never)];
    try {
      send();
      for (let waited = 0; received.length < count && waited < 2000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return spies.reduce((n, spy) => n + spy.mock.calls.length, 0);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
  };

  it('a Socket.IO socket’s conn.transport is engine.io’s idle, writable websocket transport over a TCP socket', async () => {
    await settle();
    loudly('conn.transport has name "websocket" and writable true when idle; .socket._socket is the TCP socket', () => {
      const transport = idleWebSocketTransport(serverSocket);
      expect(transport).toBeDefined();
      expect(transport!.name).toBe('websocket');
      expect(transport!.writable).toBe(true);
      const tcp = tcpSocketOf(transport!);
      expect(typeof tcp?.cork).toBe('function');
      expect(typeof tcp?.uncork).toBe('function');
    });
  });

  it('buffers packets while the transport is not writable, and sends them, in order, on ready', async () => {
    const writes = await writesFor(() => {
      const transport = idleWebSocketTransport(serverSocket)!;
      holdWrites(transport);
      for (let n = 0; n < 5; n++) serverSocket.emit('n', n);
      loudly('packets emitted while writable is false wait in conn.writeBuffer', () => {
        expect((serverSocket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer).toHaveLength(5);
      });
      allowWrites(transport);
      sendBuffered(transport);
    }, 5);
    loudly('emit("ready") flushes the buffer, and with the TCP socket corked that is one write', () => {
      expect(received).toEqual([0, 1, 2, 3, 4]);
      expect(writes).toBe(1);
    });
  });

  it('SocketBursts delivers the same packets in the same order as plain Socket.IO, in one write', async () => {
    const plainWrites = await writesFor(() => {
      for (let n = 0; n < 5; n++) serverSocket.emit('n', n);
    }, 5);
    const plain = [...received];
    const bursts = new SocketBursts();
    const burstWrites = await writesFor(() => {
      bursts.hold(serverSocket);
      for (let n = 0; n < 5; n++) serverSocket.emit('n', n);
    }, 5);
    expect(received).toEqual(plain);
    expect(plain).toEqual([0, 1, 2, 3, 4]);
    expect(plainWrites).toBeGreaterThan(1);
    expect(burstWrites).toBe(1);
  });
});
