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
// Not re-exported by the package's index; the metadata keys its decorators write.
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants.js';
import type { Environment } from '../config/environment';
import { DomainError } from '../errors/domain-error';
import { REDIS } from '../redis/redis.module';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { PerRoute, RouteMetadata, RouteMetadataModule } from './route-metadata';
import type { InMemoryGuard } from './route-shortcuts';
import type Redis from 'ioredis';

const AUTH_RATE_LIMITED = 'itn:authRateLimited';

/** The stricter budget of the `auth` throttler (login, register) applies to this route. */
export const AuthRateLimit = () => SetMetadata(AUTH_RATE_LIMITED, true);

/** Metadata with which a route sets its own limit, window, block, tracker or key (per throttler name). */
const ROUTE_OVERRIDES = [
  THROTTLER_LIMIT,
  THROTTLER_TTL,
  THROTTLER_BLOCK_DURATION,
  THROTTLER_TRACKER,
  THROTTLER_KEY_GENERATOR,
];

/** A budget of a throttler that applies to a route, as admitsFromMemory counts it. */
interface MemoryBudget {
  name: string;
  ttl: number;
  limit: number;
  block: number;
  skipIf?: (context: ExecutionContext) => boolean;
  /** The names of the X-RateLimit headers, or null when the throttler sets none. */
  headers: { limit: string; remaining: string; reset: string } | null;
}

/**
 * Per user when authenticated, per client address otherwise; 429 in the error format with
 * Retry-After, and X-RateLimit-Limit/Remaining/Reset on every limited response.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard implements InMemoryGuard {
  /**
   * What admitsFromMemory needs of a route's metadata and the throttlers' options, worked out
   * once per route (a dozen metadata lookups otherwise, on every request): the budgets that
   * apply to it, or null when the route must go to the router.
   */
  private readonly memoryBudgets = new PerRoute((handler, controller) => this.planMemoryBudgets(handler, controller));

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

  /**
   * Counts the request and lets it through when every budget that applies to it is counted in
   * memory and has room (what canActivate would do, without a promise); else counts nothing
   * and answers false, and the router's canActivate decides. Routes that set their own limits
   * (@Throttle and the like), and throttlers that ignore some user agents or track callers
   * their own way, always go to the router.
   */
  admitsFromMemory(context: ExecutionContext): boolean {
    const storage = this.storageService;
    if (!(storage instanceof RedisThrottlerStorage)) return false;
    const budgets = this.memoryBudgets.get(context.getHandler(), context.getClass());
    if (budgets === null) return false;
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const keys: (string | undefined)[] = [];
    for (const budget of budgets) {
      if (budget.skipIf?.(context)) {
        keys.push(undefined);
        continue;
      }
      const key = this.generateKey(context, this.trackerOf(request), budget.name);
      if (!storage.admitsNow(key, budget.limit, budget.name)) return false;
      keys.push(key);
    }
    const reply = context.switchToHttp().getResponse<Record<string, unknown>>();
    budgets.forEach(({ name, ttl, limit, block, headers }, i) => {
      const key = keys[i];
      if (key === undefined) return;
      const { totalHits, timeToExpire } = storage.incrementNow(key, ttl, limit, block, name);
      if (!headers) return;
      this.setResponseHeader(reply, headers.limit, limit);
      this.setResponseHeader(reply, headers.remaining, Math.max(0, limit - totalHits));
      this.setResponseHeader(reply, headers.reset, timeToExpire);
    });
    return true;
  }

  private planMemoryBudgets(handler: object, controller: object): MemoryBudget[] | null {
    const targets = [handler, controller] as Parameters<RouteMetadata['getAllAndOverride']>[1];
    const common = this.commonOptions;
    if (!Array.isArray(this.options) && (this.options.getTracker || this.options.generateKey)) return null;
    const budgets: MemoryBudget[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      if (this.reflector.getAllAndOverride<boolean>(THROTTLER_SKIP + name, targets)) continue;
      if (throttler.ignoreUserAgents ?? common.ignoreUserAgents) return null;
      if (throttler.getTracker || throttler.generateKey) return null;
      const { limit, ttl, blockDuration } = throttler;
      if (typeof limit !== 'number' || typeof ttl !== 'number' || typeof (blockDuration ?? ttl) !== 'number')
        return null;
      if (ROUTE_OVERRIDES.some((k) => this.reflector.getAllAndOverride(k + name, targets) !== undefined)) return null;
      const suffix = name === 'default' ? '' : `-${name}`;
      budgets.push({
        name,
        ttl,
        limit,
        block: (blockDuration as number | undefined) ?? ttl,
        skipIf: throttler.skipIf ?? common.skipIf,
        headers:
          (throttler.setHeaders ?? common.setHeaders ?? true)
            ? {
                // In lower case, as Fastify keeps them (it lower-cases every name, per request).
                limit: `${this.headerPrefix}-Limit${suffix}`.toLowerCase(),
                remaining: `${this.headerPrefix}-Remaining${suffix}`.toLowerCase(),
                reset: `${this.headerPrefix}-Reset${suffix}`.toLowerCase(),
              }
            : null,
      });
    }
    return budgets;
  }

  /** The budget's key: per throttler, route and caller, in plain text (the default hashes it on every request). */
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return `${name}:${context.getClass().name}.${context.getHandler().name}:${suffix}`;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return this.trackerOf(req);
  }

  private trackerOf(req: Record<string, unknown>): string {
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
