import { HttpStatus, Injectable, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerModule,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
  ThrottlerStorageService,
} from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import type { Environment } from '../config/environment';
import { DomainError } from '../errors/domain-error';
import { toErrorBody } from '../errors/http-exception.filter';
import { REDIS } from '../redis/redis.module';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RouteMetadataModule } from './route-metadata';
import type Redis from 'ioredis';

/** The key of a route's Fastify config that says how the route is limited. */
const ROUTE_LIMIT = 'itnRateLimit';

/**
 * Login, register and refresh: besides the general budget, each request counts in the
 * stricter `auth` budget that the three share, per address. On a controller method.
 */
export const AuthRateLimit = (): MethodDecorator => RouteConfig({ [ROUTE_LIMIT]: 'auth' });

/**
 * Not counted at all: the health probes, which orchestrators and load balancers must reach
 * whatever else comes from their address. On a controller method with a fixed path.
 */
export const NoRateLimit = (): MethodDecorator => RouteConfig({ [ROUTE_LIMIT]: 'none' });

/** A budget as the limiter counts it: a throttler of the ThrottlerModule's options. */
interface Budget {
  name: string;
  ttl: number;
  limit: number;
  block: number;
  /** The names of its X-RateLimit headers, in lower case as Fastify keeps them. */
  headers: { limit: string; remaining: string; reset: string };
}

/** Counts a hit without a promise when the budget is counted in this process (RedisThrottlerStorage). */
interface CountsInMemory {
  admitsNow(key: string, limit: number, throttlerName: string): boolean;
  incrementNow(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Awaited<ReturnType<ThrottlerStorage['increment']>>;
}

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Seconds to wait before a retry, or 0 when the request was admitted. */
type Verdict = number;

/** `Authorization: Bearer <token>`, as the JWT guard reads it. */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The limiter installed on each Fastify instance, for requests refused before routing. */
const installed = new WeakMap<FastifyInstance, RateLimiter>();

/**
 * Counts every HTTP request once, whichever way it is answered, before anything refuses it:
 * in a Fastify onRequest hook, after routing and before authentication, access checks, body
 * parsing and validation, and the route's handler or shortcut. 401s, 403s, 404s and 400s
 * therefore count as much as answers do, and a refusal (429) costs no more than that.
 *
 * - The general budget (`RATE_LIMIT_MAX` per `RATE_LIMIT_TTL_SECONDS`) is one per caller,
 *   shared by every route: the user of an access token that verifies, else the address (an
 *   IPv6 address by its /64 network, which one host can fill with addresses at will).
 * - Login, register and refresh (@AuthRateLimit) also count in the `auth` budget
 *   (`AUTH_RATE_LIMIT_MAX`), one per address, shared by the three: a token does not buy
 *   more guesses of a password.
 * - Health probes (@NoRateLimit) are not counted.
 *
 * Past a budget the request is answered 429 in the error format with Retry-After; the answer
 * waits for the CORS hook (preParsing), so that browsers can read it. Every counted answer
 * carries X-RateLimit-Limit/Remaining/Reset (and -auth for the auth budget).
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly general: Budget;
  private readonly auth: Budget;
  private readonly ipv6SubnetPrefix: number | undefined;
  private readonly inMemory: (ThrottlerStorage & CountsInMemory) | null;
  /** URLs of the routes that are not counted (health), as a request's URL matches them exactly. */
  private readonly uncountedUrls = new Set<string>();
  /** Requests over a budget, with the seconds to wait, until the hook after CORS answers them. */
  private readonly refused = new WeakMap<FastifyRequest, Verdict>();
  private userOf: (accessToken: string) => string | undefined = () => undefined;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {
    const throttlers = Array.isArray(options) ? options : options.throttlers;
    this.general = budgetOf(throttlers, 'default');
    this.auth = budgetOf(throttlers, 'auth');
    this.ipv6SubnetPrefix = Array.isArray(options) ? undefined : options.ipv6SubnetPrefix;
    this.inMemory = countsInMemory(storage) ? storage : null;
  }

  /**
   * How to tell the signed-in user of a request from its access token, without I/O (the auth
   * module verifies it): their id, or undefined to count the address.
   */
  identifyUsersBy(userOf: (accessToken: string) => string | undefined): void {
    this.userOf = userOf;
  }

  /**
   * Installs the hooks, before any route is registered: counting on onRequest (after the
   * hooks that answer during shutdown), the 429 right after the CORS hook on preParsing.
   */
  install(fastify: FastifyInstance): void {
    installed.set(fastify, this);
    fastify.addHook('onRoute', (route) => this.planRoute(route));
    fastify.addHook('onRequest', this.countRequest);
    fastify.addHook('preParsing', (request, reply, payload, done) => {
      const retryAfter = this.refused.get(request);
      if (retryAfter === undefined) return done(null, payload);
      refuse(request, reply, retryAfter);
    });
  }

  private planRoute(route: RouteOptions): void {
    const limit = (route.config as Record<string, unknown> | undefined)?.[ROUTE_LIMIT];
    if (limit === 'none') {
      // Told apart by the request's URL, which must then be the route's own.
      if (/[:*]/.test(route.url)) throw new Error(`@NoRateLimit() needs a route without parameters: ${route.url}`);
      this.uncountedUrls.add(route.url);
    }
    if (limit === 'auth') {
      const own = route.onRequest;
      route.onRequest = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), this.countAuthRequest];
    }
  }

  /** Counts the request in the caller's general budget (every request but health probes). */
  private readonly countRequest: onRequestHookHandler = (request, reply, done) => {
    if (this.uncountedUrls.has(request.url) && !request.is404) return done();
    this.settle(request, this.hit(this.general, this.callerOf(request), reply), () => {
      // A CORS preflight is answered by the CORS hook, which runs before the 429 below would:
      // a caller over budget gets its 429 here (without CORS headers, so the browser stops).
      const retryAfter = request.method === 'OPTIONS' ? this.refused.get(request) : undefined;
      if (retryAfter !== undefined) return refuse(request, reply, retryAfter);
      done();
    });
  };

  /** Counts a login, register or refresh in the auth budget of its address (its general hit is counted already). */
  private readonly countAuthRequest: onRequestHookHandler = (request, reply, done) => {
    this.settle(request, this.hit(this.auth, this.addressOf(request), reply), done);
  };

  /**
   * Counts a request that does not go through Fastify (a Socket.IO connection attempt) in the
   * general budget of its caller, the user of the access token if it verifies, else the
   * address: the seconds to wait when the caller is over budget, else 0.
   */
  async count(caller: { accessToken?: string; address: string }): Promise<number> {
    const userId = caller.accessToken === undefined ? undefined : this.userOf(caller.accessToken);
    return this.countKey(userId === undefined ? this.addressKey(caller.address) : `user:${userId}`);
  }

  /** The user of this access token, if it verifies: the key its requests are counted under. */
  userOfToken(accessToken: string): string | undefined {
    return this.userOf(accessToken);
  }

  /** Counts one request of a known user (count() with a token that verifies). */
  countUser(userId: string): Promise<number> {
    return this.countKey(`user:${userId}`);
  }

  private async countKey(key: string): Promise<number> {
    try {
      return await this.hit(this.general, key);
    } catch (e) {
      this.warnUncounted(e);
      return 0;
    }
  }

  /**
   * Counts a request that Fastify refused before routing it (a malformed URL, a path
   * parameter too long), then answers it: 429 when the caller is over budget, else `answer`.
   */
  countUnrouted(request: FastifyRequest, reply: FastifyReply, answer: () => void): void {
    this.settle(request, this.hit(this.general, this.callerOf(request), reply), () => {
      const retryAfter = this.refused.get(request);
      if (retryAfter === undefined) answer();
      else refuse(request, reply, retryAfter);
    });
  }

  private settle(request: FastifyRequest, verdict: Verdict | Promise<Verdict>, done: () => void): void {
    if (typeof verdict === 'number') {
      if (verdict > 0) this.refused.set(request, Math.max(verdict, this.refused.get(request) ?? 0));
      return done();
    }
    verdict.then(
      (retryAfter) => this.settle(request, retryAfter, done),
      (e: unknown) => {
        this.warnUncounted(e);
        done();
      },
    );
  }

  /** A storage that cannot count lets the request through rather than failing it. */
  private warnUncounted(e: unknown): void {
    this.logger.warn(`Could not count a request: ${(e as Error).message}`);
  }

  /** Counts one hit of the budget; from memory when the storage can (no promise), else through it. */
  private hit(budget: Budget, key: string, reply?: FastifyReply): Verdict | Promise<Verdict> {
    const { name, ttl, limit, block } = budget;
    if (this.inMemory?.admitsNow(key, limit, name)) {
      return this.applied(budget, this.inMemory.incrementNow(key, ttl, limit, block, name), reply);
    }
    return this.storage.increment(key, ttl, limit, block, name).then((record) => this.applied(budget, record, reply));
  }

  private applied(budget: Budget, record: StorageRecord, reply: FastifyReply | undefined): Verdict {
    if (record.isBlocked) return Math.max(1, Math.ceil(record.timeToBlockExpire));
    void reply
      ?.header(budget.headers.limit, budget.limit)
      .header(budget.headers.remaining, Math.max(0, budget.limit - record.totalHits))
      .header(budget.headers.reset, record.timeToExpire);
    return 0;
  }

  private callerOf(request: FastifyRequest): string {
    const authorization = request.headers.authorization;
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    const userId = token === undefined ? undefined : this.userOf(token);
    return userId === undefined ? this.addressOf(request) : `user:${userId}`;
  }

  private addressOf(request: FastifyRequest): string {
    return this.addressKey(request.ip);
  }

  private addressKey(address: string): string {
    return `ip:${normalizeIp(address, this.ipv6SubnetPrefix)}`;
  }
}

/**
 * For Fastify's frameworkErrors: counts a request refused before routing, then answers it
 * (429 when over budget, else `answer`).
 */
export function countUnroutedRequest(request: FastifyRequest, reply: FastifyReply, answer: () => void): void {
  const limiter = installed.get(request.server);
  if (limiter) limiter.countUnrouted(request, reply, answer);
  else answer();
}

function refuse(request: FastifyRequest, reply: FastifyReply, retryAfter: number): void {
  const error = new DomainError(
    'REQUEST.RATE_LIMITED',
    `Too many requests; retry in ${retryAfter} s`,
    HttpStatus.TOO_MANY_REQUESTS,
    { retryAfterSeconds: retryAfter },
  );
  void reply
    .header('Retry-After', String(retryAfter))
    .status(429)
    .send(toErrorBody(error, String(request.id)));
}

function budgetOf(throttlers: ThrottlerOptions[], name: string): Budget {
  const throttler = throttlers.find((t) => (t.name ?? 'default') === name);
  const { ttl, limit } = throttler ?? {};
  const block = throttler?.blockDuration ?? ttl;
  if (typeof ttl !== 'number' || typeof limit !== 'number' || typeof block !== 'number') {
    throw new Error(`The rate limiter needs a throttler named ${name} with a fixed ttl and limit`);
  }
  const suffix = name === 'default' ? '' : `-${name}`;
  return {
    name,
    ttl,
    limit,
    block,
    headers: {
      limit: `x-ratelimit-limit${suffix}`,
      remaining: `x-ratelimit-remaining${suffix}`,
      reset: `x-ratelimit-reset${suffix}`,
    },
  };
}

function countsInMemory(storage: ThrottlerStorage): storage is ThrottlerStorage & CountsInMemory {
  const s = storage as Partial<CountsInMemory>;
  return typeof s.admitsNow === 'function' && typeof s.incrementNow === 'function';
}

/**
 * Nest's in-memory storage, for one instance without Redis. It blocks a key for every throttler
 * at once, while the limiter counts several budgets (general, auth) under one caller's key: so
 * each budget gets keys of its own, as Redis keeps them.
 */
class MemoryThrottlerStorage extends ThrottlerStorageService {
  override increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<StorageRecord> {
    return super.increment(`${throttlerName}:${key}`, ttl, limit, blockDuration, throttlerName);
  }
}

@Module({
  imports: [
    RouteMetadataModule,
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, REDIS],
      useFactory: (config: ConfigService<Environment, true>, redis: Redis | null) => {
        const ttl = config.get('RATE_LIMIT_TTL_SECONDS', { infer: true }) * 1000;
        return {
          // Without Redis (RATE_LIMIT_STORE=memory), the counters of this one instance live in its memory.
          storage:
            config.get('RATE_LIMIT_STORE', { infer: true }) === 'memory' || !redis
              ? new MemoryThrottlerStorage()
              : new RedisThrottlerStorage(redis, {
                  exactThrottlers: ['auth'],
                  syncIntervalMs: config.get('RATE_LIMIT_SYNC_MS', { infer: true }),
                }),
          throttlers: [
            { name: 'default', ttl, limit: config.get('RATE_LIMIT_MAX', { infer: true }) },
            { name: 'auth', ttl, limit: config.get('AUTH_RATE_LIMIT_MAX', { infer: true }) },
          ],
        };
      },
    }),
  ],
  providers: [RateLimiter],
  exports: [ThrottlerModule, RateLimiter],
})
export class RateLimitModule {}
