import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment';
import { Public } from '../http/public';
import { NoRateLimit } from '../http/rate-limit';
import { ShutdownState } from '../http/shutdown';
import { InjectRedis } from '../redis/redis.module';
import { runtimeServices } from '../runtime/runtime-services';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @InjectRedis() private readonly redis: Redis | null,
    private readonly shutdown: ShutdownState,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  /** Which database, queue backend and rate-limit store this process runs on. */
  private services() {
    const services = runtimeServices({
      DATABASE_URL: this.config.get('DATABASE_URL', { infer: true }),
      REDIS_URL: this.config.get('REDIS_URL', { infer: true }),
      QUEUE_BACKEND: this.config.get('QUEUE_BACKEND', { infer: true }),
      RATE_LIMIT_STORE: this.config.get('RATE_LIMIT_STORE', { infer: true }),
    });
    return {
      database: services.database.kind === 'embedded' ? 'embedded-postgres' : 'postgres',
      queue: services.queueBackend,
      rateLimits: services.rateLimitStore,
    };
  }

  @Get('live')
  @NoRateLimit()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @NoRateLimit()
  @ApiOperation({
    summary: 'Readiness: PostgreSQL and Redis (when used) answer (503 otherwise); names the services in use',
  })
  @HealthCheck()
  ready() {
    const redis = this.redis;
    return this.health.check([
      () =>
        this.indicators.check('process').attempt(() => {
          if (this.shutdown.closing) throw new Error('shutting down');
        }),
      () => this.indicators.check('services').up(this.services()),
      () => this.db.pingCheck('postgres', { timeout: 1500 }),
      ...(redis
        ? [
            () =>
              this.indicators
                .check('redis')
                .attempt(async () => {
                  await redis.ping();
                })
                .withTimeout(1500),
          ]
        : []),
    ]);
  }
}
