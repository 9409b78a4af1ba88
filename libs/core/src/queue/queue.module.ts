import { BullModule } from '@nestjs/bullmq';
import { Global, Logger, Module } from '@nestjs/common';
import { createPostgresBackend, type Queue, setDefaultBackendFactory } from 'bullmq';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment';
import { redisOptionsFromUrl } from '../redis/redis.module';

/** The PostgreSQL schema of BullMQ's tables when the queue runs on PostgreSQL (QUEUE_BACKEND=postgres). */
export const QUEUE_SCHEMA = 'bullmq';

/**
 * BullMQ's connection options for the configured backend: Redis, or BullMQ's own PostgreSQL
 * backend in the service's database (its tables in their own schema, created by BullMQ's
 * migrations on first connect). Each queue, worker and job scheduler opens its own small pool.
 */
export function queueConnection(env: Pick<Environment, 'QUEUE_BACKEND' | 'REDIS_URL' | 'DATABASE_URL'>): {
  connection: object;
  prefix?: string;
} {
  if (env.QUEUE_BACKEND === 'postgres') {
    return {
      connection: { connectionString: env.DATABASE_URL, schema: QUEUE_SCHEMA, migrate: true, max: 4 },
    };
  }
  return { connection: { ...redisOptionsFromUrl(env.REDIS_URL), maxRetriesPerRequest: null }, prefix: 'itn' };
}

/**
 * Points BullMQ at the configured backend. @nestjs/bullmq builds its queues and workers with
 * BullMQ's process-wide default backend factory, which this sets; one process has one backend.
 */
export function useQueueBackend(backend: Environment['QUEUE_BACKEND']): void {
  setDefaultBackendFactory(backend === 'postgres' ? createPostgresBackend : undefined);
}

/** BullMQ's connection, shared by every queue; each feature registers its own queues. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => {
        const backend = config.get('QUEUE_BACKEND', { infer: true });
        useQueueBackend(backend);
        return queueConnection({
          QUEUE_BACKEND: backend,
          REDIS_URL: config.get('REDIS_URL', { infer: true }),
          DATABASE_URL: config.get('DATABASE_URL', { infer: true }),
        });
      },
    }),
  ],
  exports: [BullModule],
})
export class QueueModule {}

/**
 * Runs `fn` every time the queue's connection is (re)established. Redis may have lost its
 * data meanwhile (no persistence), so job schedulers are declared again there.
 */
export function onQueueReconnect(queue: Queue, fn: () => Promise<unknown>): void {
  const logger = new Logger(`Queue:${queue.name}`);
  queue.on('error', (e: Error) => logger.warn(e.message));
  queue.getBackend().on('ready', () => {
    fn().catch((e: unknown) => logger.warn(`After reconnecting: ${(e as Error).message}`));
  });
}
