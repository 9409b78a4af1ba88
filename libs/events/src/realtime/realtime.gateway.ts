import { actsForAny, StationAccessPolicy, TokensService, type UserAccess } from '@itn/auth';
import { canonicalUuid } from '@itn/core';
import { BeforeApplicationShutdown, Inject, OnApplicationBootstrap, Optional } from '@nestjs/common';
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
import { comparePositions, LogEvent, LogPosition } from '../event-log.reader';
import { AccessChanges } from './access-changes';
import { LogCatchUp, ReplayTooLongError } from './log-catch-up';
import { MessageBudget, RealtimeLimits } from './realtime-limits';
import { SocketWriteBatching } from './socket-write-batching';
import {
  ClientToServerEvents,
  ServerToClientEvents,
  stationRoom,
  SubscribeAck,
  SubscribePayload,
} from './realtime-events';

interface SocketData {
  /** The user's access as this socket last learnt it (at the handshake, then from the log). */
  access: UserAccess;
  /** Where in the log each station's live delivery began for this socket. */
  joined: Map<string, LogPosition>;
  budget: MessageBudget;
  expiry?: NodeJS.Timeout;
  unwatch?: () => void;
}

type ItnServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ItnSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const EVENT_ID = /^[0-9]{1,18}$/;

const refuse = (code: string, message: string): SubscribeAck => ({ ok: false, code, message });

const connectError = (code: string, message: string) => Object.assign(new Error(message), { data: { code } });

/**
 * Socket.IO on /socket.io. The access token in `handshake.auth.token` is checked before the
 * connection is accepted, and the socket is closed when the token expires. Clients join
 * `station:<id>` rooms with `subscribe`; every event of the log is emitted, under its type,
 * once to each socket in any room of the stations it names. A change of the user's access
 * (an access.changed event) takes effect on the socket before any later event is delivered.
 * Limits (RealtimeLimits): sockets per user, messages per socket, subscriptions per socket,
 * and how far back a subscription may replay.
 */
@WebSocketGateway({ path: '/socket.io', serveClient: false })
export class RealtimeGateway
  implements OnGatewayInit, OnGatewayDisconnect, OnApplicationBootstrap, BeforeApplicationShutdown
{
  @WebSocketServer() server: ItnServer;
  /** Open sockets per user on this instance. */
  private readonly socketsOf = new Map<string, number>();

  constructor(
    private readonly tokens: TokensService,
    private readonly access: StationAccessPolicy,
    private readonly follower: EventFollower,
    private readonly catchUp: LogCatchUp,
    private readonly accessChanges: AccessChanges,
    private readonly limits: RealtimeLimits,
    @Optional() @Inject(SocketWriteBatching) private readonly batching: SocketWriteBatching | null,
  ) {}

  afterInit(server: ItnServer): void {
    server.use((socket, next) => {
      this.admit(socket).then(
        () => next(),
        (e: Error) => next(e),
      );
    });
    server.on('connection', (socket: ItnSocket) => this.limitMessages(socket));
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
    socket.data.unwatch?.();
    const userId = socket.data.access?.user.id;
    if (userId === undefined) return;
    const open = (this.socketsOf.get(userId) ?? 1) - 1;
    if (open > 0) this.socketsOf.set(userId, open);
    else this.socketsOf.delete(userId);
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
    // Room names and memberships use the canonical (lower-case) form of an id.
    const stationId = canonicalUuid(payload?.stationId);
    if (stationId === undefined) return refuse('VALIDATION.FAILED', 'stationId must be a UUID');
    const after = payload.after === undefined || payload.after === null ? undefined : String(payload.after);
    if (after !== undefined && !EVENT_ID.test(after)) return refuse('VALIDATION.FAILED', 'after must be an event id');
    const access = await this.access.current(socket.data.access.user.id);
    if (access === null) {
      this.applyAccess(socket, null);
      return refuse('AUTH.UNAUTHORIZED', 'This account no longer exists');
    }
    socket.data.access = access;
    if (!actsForAny(access, [stationId])) {
      return refuse('AUTH.STATION_FORBIDDEN', 'You are not a member of this station');
    }
    if (socket.data.joined.has(stationId)) return { ok: true, replayed: 0 };
    if (socket.data.joined.size >= this.limits.subscriptionsPerSocket) {
      this.limits.refused('subscriptions');
      return refuse(
        'TOO_MANY_SUBSCRIPTIONS',
        `A socket may follow at most ${this.limits.subscriptionsPerSocket} stations; unsubscribe first`,
      );
    }

    let from: LogPosition;
    try {
      from = await this.catchUp.resumePoint(after, [stationId]);
    } catch (e) {
      if (e instanceof ReplayTooLongError) return refuse('REPLAY_TOO_LONG', e.message);
      throw e;
    }
    let joined = false;
    const goLive = () => {
      // The user's access may have changed while the replay ran: join only if it still allows.
      if (socket.disconnected || !actsForAny(socket.data.access, [stationId])) return;
      socket.data.joined.set(stationId, this.follower.position!);
      void socket.join(stationRoom(stationId));
      joined = true;
    };
    const replayed = await this.catchUp.replayThenGoLive(
      from,
      [stationId],
      (e) => {
        if (!this.deliveredLive(socket, e)) socket.emit(e.event.type, e.event as never);
      },
      goLive,
    );
    if (!joined) return refuse('AUTH.STATION_FORBIDDEN', 'You are not a member of this station');
    return after === undefined ? { ok: true } : { ok: true, replayed };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(
    @ConnectedSocket() socket: ItnSocket,
    @MessageBody() payload: { stationId: string },
  ): Promise<SubscribeAck> {
    const stationId = canonicalUuid(payload?.stationId);
    if (stationId === undefined) return refuse('VALIDATION.FAILED', 'stationId must be a UUID');
    socket.data.joined.delete(stationId);
    await socket.leave(stationRoom(stationId));
    return { ok: true };
  }

  /** The handshake: a valid token of a user who still exists, within the user's socket limit. */
  private async admit(socket: ItnSocket): Promise<void> {
    const token: unknown = socket.handshake.auth?.token;
    if (typeof token !== 'string' || token.length === 0) {
      throw connectError('AUTH.UNAUTHORIZED', 'An access token is required');
    }
    let verified: ReturnType<TokensService['verifyAccessToken']>;
    try {
      verified = this.tokens.verifyAccessToken(token);
    } catch {
      throw connectError('AUTH.UNAUTHORIZED', 'Invalid or expired access token');
    }
    const userId = verified.user.id;
    const access = await this.access.current(userId);
    if (access === null) throw connectError('AUTH.UNAUTHORIZED', 'This account no longer exists');
    const open = this.socketsOf.get(userId) ?? 0;
    if (open >= this.limits.socketsPerUser) {
      this.limits.refused('sockets_per_user');
      throw connectError(
        'TOO_MANY_CONNECTIONS',
        `At most ${this.limits.socketsPerUser} connections per user; close one first`,
      );
    }
    this.socketsOf.set(userId, open + 1);
    socket.data.access = access;
    socket.data.joined = new Map();
    socket.data.budget = this.limits.messageBudget();
    socket.data.unwatch = this.accessChanges.watch(userId, (changed) => this.applyAccess(socket, changed));
    socket.data.expiry = setTimeout(
      () => {
        socket.emit('session.expired', { code: 'AUTH.TOKEN_EXPIRED' });
        socket.disconnect(true);
      },
      Math.max(0, verified.expiresAt - Date.now()),
    );
  }

  /**
   * Every message a socket sends is taken from its budget; past it, the message is answered
   * RATE_LIMITED without being handled, and a socket that keeps on is disconnected.
   */
  private limitMessages(socket: ItnSocket): void {
    socket.use((packet, next) => {
      if (socket.data.budget.take()) return next();
      this.limits.refused('message_rate');
      const ack: unknown = packet[packet.length - 1];
      if (typeof ack === 'function') {
        (ack as (result: SubscribeAck) => void)(refuse('RATE_LIMITED', 'Too many messages; slow down'));
      }
      if (socket.data.budget.abused) {
        this.limits.refused('disconnected_for_abuse');
        socket.emit('session.closed', { code: 'RATE_LIMITED' });
        socket.disconnect(true);
      }
    });
  }

  /** A change of the user's access, applied before the follower hands out any later event. */
  private applyAccess(socket: ItnSocket, access: UserAccess | null): void {
    if (access === null) {
      socket.emit('session.closed', { code: 'AUTH.ACCOUNT_REMOVED' });
      socket.disconnect(true);
      return;
    }
    socket.data.access = access;
    for (const stationId of [...socket.data.joined.keys()]) {
      if (actsForAny(access, [stationId])) continue;
      socket.data.joined.delete(stationId);
      void socket.leave(stationRoom(stationId));
      socket.emit('subscription.revoked', { stationId, code: 'AUTH.STATION_FORBIDDEN' });
    }
  }

  private broadcast(e: LogEvent): void {
    if (!this.server) return;
    // Only rooms with a socket on this instance: an event nobody here follows is not encoded.
    const rooms = this.server.sockets.adapter.rooms;
    const targets = e.event.stationIds.map(stationRoom).filter((room) => rooms.has(room));
    if (targets.length === 0) return;
    // The follower hands out a batch of events in one turn: each socket may get its share in one write.
    if (this.batching) {
      for (const room of targets) {
        for (const id of rooms.get(room)!) this.batching.hold(this.server.sockets.sockets.get(id));
      }
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
