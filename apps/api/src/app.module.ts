import { AuthModule } from '@itn/auth';
import { CargoModule, CargoWorkerModule } from '@itn/cargo';
import { CatalogModule } from '@itn/catalog';
import {
  AppConfigModule,
  DatabaseModule,
  HealthModule,
  IdempotencyModule,
  MetricsModule,
  RedisModule,
  ShutdownModule,
} from '@itn/core';
import { EventsModule, MaintenanceModule, RealtimeModule } from '@itn/events';
import { FastPathModule } from '@itn/fast-path';
import { InventoryModule } from '@itn/inventory';
import { TradesModule } from '@itn/trades';
import { DynamicModule, Module } from '@nestjs/common';
import { DashboardModule } from './dashboard/dashboard.module';
import { QueueBoardModule } from './admin/queue-board.module';
import { DemoSeedModule } from './seed/demo-seed.module';

export interface AppOptions {
  /** `embedded` runs the shipment worker in this process too; `off` leaves it to apps/worker. */
  workerMode: 'embedded' | 'off';
  /** `on` adds the measured shortcuts of @itn/fast-path; `off` leaves every request to the plain framework path. */
  fastPaths: 'on' | 'off';
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule,
        DatabaseModule,
        RedisModule,
        MetricsModule,
        ShutdownModule,
        IdempotencyModule,
        HealthModule,
        EventsModule,
        AuthModule,
        CatalogModule,
        InventoryModule,
        CargoModule,
        TradesModule,
        RealtimeModule,
        ...(options.workerMode === 'embedded' ? [CargoWorkerModule, MaintenanceModule] : []),
        ...(options.fastPaths === 'on' ? [FastPathModule] : []),
        QueueBoardModule,
        DemoSeedModule,
        DashboardModule,
      ],
    };
  }
}
