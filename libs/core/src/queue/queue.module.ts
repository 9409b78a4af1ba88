import { BullModule } from '@nestjs/bullmq';
import { Global, Logger, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment';
import { redisOptionsFromUrl } from '../redis/redis.module';

/** BullMQ's connection, shared by every queue; each feature registers its own queues. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        connection: { ...redisOptionsFromUrl(config.get('REDIS_URL', { infer: true })), maxRetriesPerRequest: null },
        prefix: 'itn',
      }),
    }),
  ],
  exports: [BullModule],
})
export class QueueModule {}

/**
 * Runs `fn` every time the queue's Redis connection is (re)established. Redis may have lost its
 * data meanwhile (no persistence), so job schedulers are declared again there.
 */
export function onQueueReconnect(queue: Queue, fn: () => Promise<unknown>): void {
  const logger = new Logger(`Queue:${queue.name}`);
  queue.on('error', (e: Error) => logger.warn(e.message));
  queue.getBackend().on('ready', () => {
    fn().catch((e: unknown) => logger.warn(`After reconnecting: ${(e as Error).message}`));
  });
}
