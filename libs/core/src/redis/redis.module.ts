import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { type Environment, usesRedis } from '../config/environment';

export const REDIS = Symbol('REDIS');
export const InjectRedis = () => Inject(REDIS);

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@InjectRedis() private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    const redis = this.redis;
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }
}

/**
 * One shared ioredis client for small commands (health, rate limits); BullMQ keeps its own.
 * `null` when the service uses no Redis (queue on PostgreSQL, rate limits in memory).
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        !usesRedis({
          QUEUE_BACKEND: config.get('QUEUE_BACKEND', { infer: true }),
          RATE_LIMIT_STORE: config.get('RATE_LIMIT_STORE', { infer: true }),
        })
          ? null
          : new Redis(config.get('REDIS_URL', { infer: true }), {
              maxRetriesPerRequest: 1,
              enableOfflineQueue: false,
              // The commands of one event-loop turn (the rate-limit checks of concurrent requests)
              // leave in one write instead of one each.
              enableAutoPipelining: true,
              connectionName: 'itn',
            }),
    },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}

/** ioredis connection options from a redis:// or rediss:// URL (for BullMQ, which needs options). */
export function redisOptionsFromUrl(url: string): {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
} {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
