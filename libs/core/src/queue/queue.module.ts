import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
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
