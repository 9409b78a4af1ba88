import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { RateLimiter } from './rate-limit';

/**
 * Socket.IO servers whose connection attempts count in the rate limits as HTTP requests do
 * (they never reach Fastify's hooks): each attempt, refused or not, in the general budget of
 * the user of its access token (`handshake.auth.token`) if it verifies, else of its address.
 * Past the budget the attempt is refused with `connect_error`,
 * `err.data = {code: 'REQUEST.RATE_LIMITED', retryAfterSeconds}`. The check is a middleware of
 * the main namespace, added when the server is made, so it runs before the gateways' own.
 */
export class RateLimitedIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly limiter: RateLimiter,
  ) {
    super(app);
  }

  // Typed after the base class: @nestjs/platform-socket.io makes its servers with socket.io of its own.
  override createIOServer(...args: Parameters<IoAdapter['createIOServer']>): ReturnType<IoAdapter['createIOServer']> {
    const server = super.createIOServer(...args);
    server.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const accessToken = typeof token === 'string' && token.length > 0 ? token : undefined;
      void this.limiter.count({ accessToken, address: socket.handshake.address }).then((retryAfterSeconds) => {
        if (retryAfterSeconds === 0) return next();
        const refusal = new Error(`Too many requests; retry in ${retryAfterSeconds} s`);
        next(Object.assign(refusal, { data: { code: 'REQUEST.RATE_LIMITED', retryAfterSeconds } }));
      });
    });
    return server;
  }
}
