import { AuthModule, TokensService } from '@itn/auth';
import { CargoQueueModule, SHIPMENTS_QUEUE } from '@itn/cargo';
import { DomainError, toErrorBody } from '@itn/core';
import { MAINTENANCE_QUEUE } from '@itn/events';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { HttpStatus, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const QUEUE_BOARD_ROUTE = '/admin/queues';
/** The board is a browser page: besides the Authorization header, it takes the access token from this cookie. */
export const BOARD_TOKEN_COOKIE = 'itn_access_token';

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const cookie = request.headers.cookie
    ?.split(';')
    .map((c) => c.trim().split('='))
    .find(([name]) => name === BOARD_TOKEN_COOKIE);
  return cookie ? decodeURIComponent(cookie.slice(1).join('=')) : undefined;
}

/** Bull Board serves its pages from Fastify directly, so admins-only is enforced in a Fastify hook. */
@Injectable()
class QueueBoardAccess implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: TokensService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Runs for every request, so the common case (not the board) is one string check and no promise.
    fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      if (request.url !== QUEUE_BOARD_ROUTE && !request.url.startsWith(`${QUEUE_BOARD_ROUTE}/`)) return done();
      const refuse = (status: HttpStatus, code: string, message: string) =>
        void reply.status(status).send(toErrorBody(new DomainError(code, message, status), String(request.id)));
      const token = tokenOf(request);
      let role: string | undefined;
      try {
        role = token ? this.tokens.verifyAccessToken(token).user.role : undefined;
      } catch {
        role = undefined;
      }
      if (!role) return refuse(HttpStatus.UNAUTHORIZED, 'AUTH.UNAUTHORIZED', 'A valid admin access token is required');
      if (role !== 'admin') return refuse(HttpStatus.FORBIDDEN, 'AUTH.FORBIDDEN', 'The queue board is for admins');
      done();
    });
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
