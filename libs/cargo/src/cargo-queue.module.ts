import { QueueModule } from '@itn/core';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { SHIPMENTS_QUEUE } from './shipment-jobs';

/** The shipments queue. */
@Module({
  imports: [QueueModule, BullModule.registerQueue({ name: SHIPMENTS_QUEUE })],
  exports: [BullModule],
})
export class CargoQueueModule {}
