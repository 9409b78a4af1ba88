import { QueueModule } from '@itn/core';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { MAINTENANCE_QUEUE, MaintenanceProcessor, Pruner } from './maintenance';

/** Scheduled housekeeping (event retention and expired keys), run by the worker. */
@Module({
  imports: [QueueModule, BullModule.registerQueue({ name: MAINTENANCE_QUEUE })],
  providers: [Pruner, MaintenanceProcessor],
  exports: [Pruner],
})
export class MaintenanceModule {}
