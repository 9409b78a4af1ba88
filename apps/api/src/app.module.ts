import { AuthModule } from '@itn/auth';
import { CatalogModule } from '@itn/catalog';
import { EventsModule } from '@itn/events';
import { InventoryModule } from '@itn/inventory';
import { AppConfigModule, DatabaseModule, HealthModule, RedisModule } from '@itn/core';
import { Module } from '@nestjs/common';
import { DemoSeedModule } from './seed/demo-seed.module';

@Module({
  imports: [
    AppConfigModule,
    DatabaseModule,
    RedisModule,
    HealthModule,
    AuthModule,
    CatalogModule,
    EventsModule,
    InventoryModule,
    DemoSeedModule,
  ],
})
export class AppModule {}
