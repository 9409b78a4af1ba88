import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotentResult } from './idempotency.service';

export interface IdempotencyContext {
  key: string | undefined;
  requestId: string;
}

/** The Idempotency-Key header and the request id, for IdempotencyService.execute. */
export const Idempotency = createParamDecorator((_data: unknown, ctx: ExecutionContext): IdempotencyContext => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const header = request.headers['idempotency-key'];
  return { key: Array.isArray(header) ? header.join(',') : header, requestId: String(request.id) };
});

export const ApiIdempotencyKey = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Any unique string (1-255 visible ASCII characters), kept 24 h per user. Retrying with the same key and ' +
        'body replays the first answer (with `Idempotent-Replayed: true`); a different body is 422; while the ' +
        'first request is still running, 409.',
    }),
  );

/** Answers with the stored or fresh result of an idempotent request. */
export function replyIdempotent<T>(reply: FastifyReply, result: IdempotentResult<T>): IdempotentResult<T>['body'] {
  void reply.status(result.status);
  if (result.replayed) void reply.header('Idempotent-Replayed', 'true');
  return result.body;
}
