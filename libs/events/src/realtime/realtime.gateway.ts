import { AuthUser, StationAccessPolicy, TokensService } from '@itn/auth';
import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { EventFollower } from '../event-follower.service';
import { comparePositions, EventLogReader, LogEvent, LogPosition } from '../event-log.reader';
import { LogCatchUp } from './log-catch-up';
import { SocketBursts } from './socket-bursts';
import {
  ClientToServerEvents,
  ServerToClientEvents,
  stationRoom,
  SubscribeAck,
  SubscribePayload,
} from './realtime-events';

interface SocketData {
  user: AuthUser;
  /** Where in the log each station's live delivery began for this socket. */
  joined: Map<string, LogPosition>;
  expiry?: NodeJS.Timeout;
}

type ItnServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ItnSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_ID = /^[0-9]{1,18}$/;

const refuse = (code: string, message: string): SubscribeAck => ({ ok: false, code, message });

/**
 * Socket.IO on /socket.io. The access token in `handshake.auth.token` is checked before the
 * connection is accepted, and the socket is closed when the token expires. Clients join
 * `station:<id>` rooms with `subscribe`; every event of the log is emitted, under its type,
 * once to each socket in any room of the stations it names.
 */
@WebSocketGateway({ path: '/socket.io', serveClient: false })
export class RealtimeGateway
  implements OnGatewayInit, OnGatewayDisconnect, OnApplicationBootstrap, BeforeApplicationShutdown
{
  @WebSocketServer() server: ItnServer;
  private readonly bursts = new SocketBursts();

  constructor(
    private readonly tokens: TokensService,
    private readonly access: StationAccessPolicy,
    private readonly follower: EventFollower,
    private readonly reader: EventLogReader,
    private readonly catchUp: LogCatchUp,
  ) {}

  afterInit(server: ItnServer): void {
    server.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      if (typeof token !== 'string' || token.length === 0) {
        return next(Object.assign(new Error('An access token is required'), { data: { code: 'AUTH.UNAUTHORIZED' } }));
      }
      try {
        const { user, expiresAt } = this.tokens.verifyAccessToken(token);
        socket.data.user = user;
        socket.data.joined = new Map();
        socket.data.expiry = setTimeout(
          () => {
            socket.emit('session.expired', { code: 'AUTH.TOKEN_EXPIRED' });
            socket.disconnect(true);
          },
          Math.max(0, expiresAt - Date.now()),
        );
        next();
      } catch {
        next(Object.assign(new Error('Invalid or expired access token'), { data: { code: 'AUTH.UNAUTHORIZED' } }));
      }
    });
  }

  onApplicationBootstrap(): void {
    this.follower.subscribe((e) => this.broadcast(e));
  }

  /** Says goodbye properly, so clients know to reconnect (and resume) rather than guess. */
  beforeApplicationShutdown(): void {
    this.server?.disconnectSockets(true);
  }

  handleDisconnect(socket: ItnSocket): void {
    clearTimeout(socket.data.expiry);
  }

  /** Number of connected sockets on this instance. */
  get connections(): number {
    return this.server?.engine?.clientsCount ?? 0;
  }

  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() socket: ItnSocket,
    @MessageBody() payload: SubscribePayload,
  ): Promise<SubscribeAck> {
    const stationId = payload?.stationId;
    if (typeof stationId !== 'string' || !UUID.test(stationId)) {
      return refuse('VALIDATION.FAILED', 'stationId must be a UUID');
    }
    const after = payload.after === undefined || payload.after === null ? undefined : String(payload.after);
    if (after !== undefined && !EVENT_ID.test(after)) return refuse('VALIDATION.FAILED', 'after must be an event id');
    if (!(await this.access.canActForAny(socket.data.user, [stationId]))) {
      return refuse('AUTH.STATION_FORBIDDEN', 'You are not a member of this station');
    }
    if (socket.data.joined.has(stationId)) return { ok: true, replayed: 0 };

    const goLive = () => {
      socket.data.joined.set(stationId, this.follower.position!);
      void socket.join(stationRoom(stationId));
    };
    if (after === undefined) {
      goLive();
      return { ok: true };
    }
    const replayed = await this.catchUp.replayThenGoLive(
      await this.reader.positionOf(after),
      [stationId],
      (e) => {
        if (!this.deliveredLive(socket, e)) socket.emit(e.event.type, e.event as never);
      },
      goLive,
    );
    return { ok: true, replayed };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(
    @ConnectedSocket() socket: ItnSocket,
    @MessageBody() payload: { stationId: string },
  ): Promise<SubscribeAck> {
    const stationId = payload?.stationId;
    if (typeof stationId !== 'string' || !UUID.test(stationId)) {
      return refuse('VALIDATION.FAILED', 'stationId must be a UUID');
    }
    socket.data.joined.delete(stationId);
    await socket.leave(stationRoom(stationId));
    return { ok: true };
  }

  private broadcast(e: LogEvent): void {
    if (!this.server) return;
    // Only rooms with a socket on this instance: an event nobody here follows is not encoded.
    const rooms = this.server.sockets.adapter.rooms;
    const targets = e.event.stationIds.map(stationRoom).filter((room) => rooms.has(room));
    if (targets.length === 0) return;
    // The follower hands out a batch of events in one turn: each socket gets its share in one write.
    for (const room of targets) {
      for (const id of rooms.get(room)!) this.bursts.hold(this.server.sockets.sockets.get(id));
    }
    // One emit to the union of rooms: a socket in several of them gets the event once.
    this.server.to(targets).emit(e.event.type, e.event as never);
  }

  /** Whether the socket already got this event live through another station's room. */
  private deliveredLive(socket: ItnSocket, e: LogEvent): boolean {
    return e.event.stationIds.some((s) => {
      const since = socket.data.joined.get(s);
      return since !== undefined && comparePositions(since, e.position) < 0;
    });
  }
}
