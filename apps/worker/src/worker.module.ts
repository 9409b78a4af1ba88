import { AuthModule } from '@itn/auth';
import { CargoWorkerModule } from '@itn/cargo';
import { AppConfigModule, DatabaseModule, RedisModule } from '@itn/core';
import { EventsModule } from '@itn/events';
import { Module } from '@nestjs/common';

/** The worker-only process: shipment steps, the outbox relay and the sweep; no HTTP. */
@Module({
  imports: [AppConfigModule, DatabaseModule, RedisModule, EventsModule, AuthModule, CargoWorkerModule],
})
export class WorkerModule {}
