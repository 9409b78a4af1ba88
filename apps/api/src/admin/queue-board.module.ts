import { AuthModule, StationAccessPolicy, TokensService } from '@itn/auth';
import { CargoQueueModule, SHIPMENTS_QUEUE } from '@itn/cargo';
import { DomainError, toErrorBody } from '@itn/core';
import { MAINTENANCE_QUEUE } from '@itn/events';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { HttpStatus, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const QUEUE_BOARD_ROUTE = '/admin/queues';
/** The board is a browser page: besides the Authorization header, it takes the access token from this cookie. */
export const BOARD_TOKEN_COOKIE = 'itn_access_token';

/** The access token of a board request, and whether it came in the cookie (which a browser sends by itself). */
function credentialOf(request: FastifyRequest): { token: string | undefined; fromCookie: boolean } {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return { token: header.slice(7), fromCookie: false };
  const cookie = request.headers.cookie
    ?.split(';')
    .map((c) => c.trim().split('='))
    .find(([name]) => name === BOARD_TOKEN_COOKIE);
  if (!cookie) return { token: undefined, fromCookie: false };
  try {
    return { token: decodeURIComponent(cookie.slice(1).join('=')), fromCookie: true };
  } catch {
    return { token: undefined, fromCookie: true }; // not even percent-encoding: no token
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The bodies a page of another site can send without asking first (no CORS preflight). */
const CROSS_SITE_BODY = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;

/**
 * Whether a change made with the cookie may have been sent by another site's page (cross-site
 * request forgery): the browser says so (Sec-Fetch-Site), or the body is one that a form can
 * send. The board's own page sends JSON from the same origin; other origins get no CORS answer.
 */
function forgeable(request: FastifyRequest): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  return CROSS_SITE_BODY.test(request.headers['content-type'] ?? '');
}

/** Whether Fastify matched one of the board's routes (its pages, assets and API). */
export function isBoardRoute(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && (route === QUEUE_BOARD_ROUTE || route.startsWith(`${QUEUE_BOARD_ROUTE}/`));
}

/**
 * Bull Board serves its pages from Fastify directly, so admins-only is enforced in a Fastify
 * hook. It asks which route the router matched, never the raw URL: the router decodes and
 * normalises paths (percent-encoding, query strings, HEAD for GET routes), so any spelling of a
 * board URL that reaches the board is checked, and no other route is.
 */
@Injectable()
class QueueBoardAccess implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: TokensService,
    private readonly access: StationAccessPolicy,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Runs for every request (after routing, after the rate limiter has refused what it refuses),
    // so the common case (not the board) is one string check.
    fastify.addHook('preParsing', (request, reply, payload, done) => {
      if (!isBoardRoute(request)) return done(null, payload);
      const refuse = (status: HttpStatus, code: string, message: string) =>
        void reply.status(status).send(toErrorBody(new DomainError(code, message, status), String(request.id)));
      const { token, fromCookie } = credentialOf(request);
      void this.currentRole(token).then(
        (role) => {
          if (!role)
            return refuse(HttpStatus.UNAUTHORIZED, 'AUTH.UNAUTHORIZED', 'A valid admin access token is required');
          if (role !== 'admin') return refuse(HttpStatus.FORBIDDEN, 'AUTH.FORBIDDEN', 'The queue board is for admins');
          if (fromCookie && forgeable(request)) {
            return refuse(
              HttpStatus.FORBIDDEN,
              'AUTH.CROSS_SITE_REFUSED',
              'Changes to the queue board come from its own page, as JSON, or with an Authorization header',
            );
          }
          done(null, payload);
        },
        (e: Error) => done(e),
      );
    });
  }

  /** The role the token's user has now (not the one written in the token), or undefined. */
  private async currentRole(token: string | undefined): Promise<string | undefined> {
    if (!token) return undefined;
    let userId: string;
    try {
      userId = this.tokens.verifyAccessToken(token).user.id;
    } catch {
      return undefined;
    }
    return (await this.access.current(userId))?.user.role;
  }
}

/** Bull Board at /admin/queues (admins only): the shipments and maintenance queues. */
@Module({
  imports: [
    AuthModule,
    CargoQueueModule,
    BullModule.registerQueue({ name: MAINTENANCE_QUEUE }),
    BullBoardModule.forRoot({ route: QUEUE_BOARD_ROUTE, adapter: FastifyAdapter }),
    BullBoardModule.forFeature(
      { name: SHIPMENTS_QUEUE, adapter: BullMQAdapter },
      { name: MAINTENANCE_QUEUE, adapter: BullMQAdapter },
    ),
  ],
  providers: [QueueBoardAccess],
})
export class QueueBoardModule {}
