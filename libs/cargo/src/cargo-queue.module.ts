import { Environment, redisOptionsFromUrl } from '@itn/core';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SHIPMENTS_QUEUE } from './shipment-jobs';

/** The BullMQ connection and the shipments queue. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        connection: { ...redisOptionsFromUrl(config.get('REDIS_URL', { infer: true })), maxRetriesPerRequest: null },
        prefix: 'itn',
      }),
    }),
    BullModule.registerQueue({ name: SHIPMENTS_QUEUE }),
  ],
  exports: [BullModule],
})
export class CargoQueueModule {}
