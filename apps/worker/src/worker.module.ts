import { AuthModule } from '@itn/auth';
import { CargoWorkerModule } from '@itn/cargo';
import { AppConfigModule, DatabaseModule, IdempotencyModule, RedisModule, WorkerMetricsModule } from '@itn/core';
import { EventsModule, MaintenanceModule } from '@itn/events';
import { Module } from '@nestjs/common';
import { TradesModule } from '@itn/trades';

/**
 * The worker-only process: shipment steps, the outbox relay, the sweep and scheduled
 * maintenance; no HTTP API (only /metrics and /health/live, on METRICS_PORT).
 * Trades are here because they follow their shipments' steps.
 */
@Module({
  imports: [
    AppConfigModule,
    DatabaseModule,
    RedisModule,
    WorkerMetricsModule,
    IdempotencyModule,
    EventsModule,
    AuthModule,
    CargoWorkerModule,
    TradesModule,
    MaintenanceModule,
  ],
})
export class WorkerModule {}
