import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { IncomingMessage } from 'node:http';
import { Counter, Gauge } from 'prom-client';
import { Decoder, Encoder } from 'socket.io-parser';
import { MetricsRegistry } from '../metrics/metrics';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './hostile-input';
import { RateLimiter } from './rate-limit';

/** Largest message a client may send (a subscribe is under 200 bytes). */
export const SOCKET_MAX_MESSAGE_BYTES = 16 * 1024;
/** Time a client has, after its handshake, to send its CONNECT (Socket.IO's default is 45 s). */
export const SOCKET_CONNECT_TIMEOUT_MS = 10_000;

/** Socket.IO's own parser, refusing packets nested deeper than a request may be before they are parsed. */
class BoundedDecoder extends Decoder {
  override add(obj: unknown): void {
    if (typeof obj === 'string' && nestsDeeperThan(obj, MAX_JSON_DEPTH)) {
      throw new Error(`packet nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    super.add(obj);
  }
}

type IoOptions = NonNullable<Parameters<IoAdapter['createIOServer']>[1]>;

/**
 * Socket.IO servers with the limits of the HTTP side, on what reaches them before any gateway:
 * - an address holds at most SOCKET_MAX_PER_ADDRESS sessions at once (engine.io's, polling or
 *   websocket, signed in or not yet): past it the handshake is refused (403);
 * - every handshake counts in its address's general budget, and a connection attempt (CONNECT)
 *   with an access token that verifies (`handshake.auth.token`) in its user's too: past either,
 *   `connect_error` with `err.data = {code: 'REQUEST.RATE_LIMITED', retryAfterSeconds}`. The
 *   check is a middleware of the main namespace, added when the server is made, so it runs
 *   before the gateways' own;
 * - messages of at most SOCKET_MAX_MESSAGE_BYTES, nested no deeper than MAX_JSON_DEPTH (else
 *   the session is closed), and SOCKET_CONNECT_TIMEOUT_MS to connect after the handshake.
 */
export class RateLimitedIoAdapter extends IoAdapter {
  /** Open engine.io sessions per address, on this instance. */
  private readonly sessions = new Map<string, number>();
  private readonly refusals: Counter<'reason'>;

  constructor(
    app: INestApplicationContext,
    private readonly limiter: RateLimiter,
    private readonly maxSessionsPerAddress: number,
  ) {
    super(app);
    const registry = app.get(MetricsRegistry, { strict: false });
    new Gauge({
      name: 'itn_socket_sessions_per_address_limit',
      help: 'Socket.IO sessions one address may hold open on this instance (SOCKET_MAX_PER_ADDRESS)',
      registers: [registry],
    }).set(maxSessionsPerAddress);
    this.refusals = new Counter({
      name: 'itn_socket_handshake_refusals_total',
      help: 'Socket.IO handshakes refused before any gateway, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of ['sessions_per_address', 'rate_limited']) this.refusals.inc({ reason }, 0);
  }

  // Typed after the base class: @nestjs/platform-socket.io makes its servers with socket.io of its own.
  override createIOServer(port: number, options?: IoOptions): ReturnType<IoAdapter['createIOServer']> {
    const server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: SOCKET_MAX_MESSAGE_BYTES,
      connectTimeout: SOCKET_CONNECT_TIMEOUT_MS,
      parser: { Encoder, Decoder: BoundedDecoder },
      allowRequest: (request: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) =>
        this.admitHandshake(request, callback),
    } as IoOptions);
    // Each session holds its address's place until it closes.
    server.engine.on('connection', (socket: { request: IncomingMessage; once(e: 'close', f: () => void): void }) => {
      const address = addressOf(socket.request);
      this.sessions.set(address, (this.sessions.get(address) ?? 0) + 1);
      socket.once('close', () => {
        const left = (this.sessions.get(address) ?? 1) - 1;
        if (left > 0) this.sessions.set(address, left);
        else this.sessions.delete(address);
      });
    });
    server.use((socket, next) => {
      const refuse = (retryAfterSeconds: number) => {
        const refusal = new Error(`Too many requests; retry in ${retryAfterSeconds} s`);
        next(Object.assign(refusal, { data: { code: 'REQUEST.RATE_LIMITED', retryAfterSeconds } }));
      };
      // The handshake was counted in its address's budget; a connection of a signed-in user also
      // counts in the user's, as their requests do.
      const handshakeRetry = handshakeRetryOf.get(socket.request) ?? 0;
      if (handshakeRetry > 0) return refuse(handshakeRetry);
      const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const userId = typeof token === 'string' && token.length > 0 ? this.limiter.userOfToken(token) : undefined;
      if (userId === undefined) return next();
      void this.limiter.countUser(userId).then((retryAfterSeconds) => {
        if (retryAfterSeconds === 0) return next();
        refuse(retryAfterSeconds);
      });
    });
    return server;
  }

  /**
   * A new session: refused at once past the address's cap; otherwise counted in the address's
   * budget, and refused (with the contract's connect_error) when it sends its CONNECT if that
   * budget is spent.
   */
  private admitHandshake(request: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) {
    const address = addressOf(request);
    if ((this.sessions.get(address) ?? 0) >= this.maxSessionsPerAddress) {
      this.refusals.inc({ reason: 'sessions_per_address' });
      return callback('TOO_MANY_SESSIONS', false);
    }
    void this.limiter.count({ address }).then((retryAfterSeconds) => {
      if (retryAfterSeconds > 0) {
        this.refusals.inc({ reason: 'rate_limited' });
        handshakeRetryOf.set(request, retryAfterSeconds);
      }
      callback(null, true);
    });
  }
}

/** The seconds a handshake's address must wait, when it was over budget (its CONNECT is then refused). */
const handshakeRetryOf = new WeakMap<IncomingMessage, number>();

function addressOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}
