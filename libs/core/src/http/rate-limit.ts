import { ExecutionContext, HttpStatus, Injectable, Module, SetMetadata } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerModule,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Environment } from '../config/environment';
import { DomainError } from '../errors/domain-error';
import { REDIS } from '../redis/redis.module';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RouteMetadata, RouteMetadataModule } from './route-metadata';
import type Redis from 'ioredis';

const AUTH_RATE_LIMITED = 'itn:authRateLimited';

/** The stricter budget of the `auth` throttler (login, register) applies to this route. */
export const AuthRateLimit = () => SetMetadata(AUTH_RATE_LIMITED, true);

/**
 * Per user when authenticated, per client address otherwise; 429 in the error format with
 * Retry-After, and X-RateLimit-Limit/Remaining/Reset on every limited response.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    routes: RouteMetadata,
  ) {
    super(options, storage, routes);
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    // Socket messages are not HTTP requests; sockets are limited at the handshake.
    return context.getType() === 'http' ? super.canActivate(context) : Promise.resolve(true);
  }

  /** The budget's key: per throttler, route and caller, in plain text (the default hashes it on every request). */
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return `${name}:${context.getClass().name}.${context.getHandler().name}:${suffix}`;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const user = req.user as { id?: string } | undefined;
    return user?.id ? `user:${user.id}` : `ip:${String(req.ip)}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    const reply = context.switchToHttp().getResponse<{ header(name: string, value: string): unknown }>();
    reply.header('Retry-After', String(retryAfter));
    throw new DomainError(
      'REQUEST.RATE_LIMITED',
      `Too many requests; retry in ${retryAfter} s`,
      HttpStatus.TOO_MANY_REQUESTS,
      {
        retryAfterSeconds: retryAfter,
      },
    );
  }
}

@Module({
  imports: [
    RouteMetadataModule,
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, REDIS, RouteMetadata],
      useFactory: (config: ConfigService<Environment, true>, redis: Redis, routes: RouteMetadata) => {
        const ttl = config.get('RATE_LIMIT_TTL_SECONDS', { infer: true }) * 1000;
        return {
          storage: new RedisThrottlerStorage(redis, {
            exactThrottlers: ['auth'],
            syncIntervalMs: config.get('RATE_LIMIT_SYNC_MS', { infer: true }),
          }),
          throttlers: [
            { name: 'default', ttl, limit: config.get('RATE_LIMIT_MAX', { infer: true }) },
            {
              name: 'auth',
              ttl,
              limit: config.get('AUTH_RATE_LIMIT_MAX', { infer: true }),
              skipIf: (ctx) =>
                !routes.getAllAndOverride<boolean>(AUTH_RATE_LIMITED, [ctx.getHandler(), ctx.getClass()]),
            },
          ],
        };
      },
    }),
  ],
  exports: [ThrottlerModule],
})
export class RateLimitModule {}
